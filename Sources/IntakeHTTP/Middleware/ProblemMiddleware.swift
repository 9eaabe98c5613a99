import HTTPTypes
import Hummingbird
import IntakeCore
import IntakeProblems
import IntakeServices
import Logging

/// Turns every error thrown below it into an RFC 9457 problem response. Hummingbird would
/// otherwise answer an unmapped error with an empty 500 and log it only at debug level.
struct ProblemMiddleware: RouterMiddleware {
    typealias Context = IntakeRequestContext
    let routes: RouteTable

    func handle(
        _ request: Request,
        context: Context,
        next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        do {
            return try await next(request, context)
        } catch {
            var problem = ErrorTranslation.problem(for: error)
            if problem.status == 404, context.endpointPath == nil || context.endpointPath == "NotFound" {
                // The router found no route for this method: is the path served with another?
                let allowed = routes.allowedMethods(for: request.uri.path)
                if !allowed.isEmpty { problem = .methodNotAllowed(allowed: allowed) }
            }
            if problem.status >= 500 && problem.code == APIError.internalError.code {
                // String(reflecting:) keeps the database's own message, which PSQLError hides.
                context.logger.error(
                    "unexpected error",
                    metadata: ["error": .string(ErrorTranslation.logDescription(error))]
                )
            } else if problem.status >= 500 {
                context.logger.warning(
                    "\(problem.code)",
                    metadata: ["error": .string(ErrorTranslation.logDescription(error))]
                )
            }
            return ProblemResponse.make(problem, requestID: context.requestID)
        }
    }
}
