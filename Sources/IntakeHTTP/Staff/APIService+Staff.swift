import Foundation
import IntakeAPI
import IntakeCore
import IntakeProblems
import IntakeServices

/// Staff accounts for the console, made by an admin or the council's back office.
extension APIService {
    func createStaff(_ input: Operations.CreateStaff.Input) async throws -> Operations.CreateStaff.Output {
        let council = try await staffCouncil(input.path.slug)
        guard case .json(let body) = input.body else { throw APIError.unsupportedMediaType("Send application/json.") }
        let staff = NewStaff(
            email: body.email,
            name: body.name,
            role: StaffAccount.Role(rawValue: body.role.rawValue) ?? .caseworker,
            password: body.password
        )
        let account: StaffAccount
        do {
            account = try await app.staff.create(staff, councilID: council.id)
        } catch StaffService.Refusal.emailTaken {
            throw APIError.conflict("A staff account with this email address already exists.", code: "staff_exists")
        }
        return .created(
            .init(
                body: .json(
                    .init(
                        id: account.id.uuidString.lowercased(),
                        council: account.council.slug,
                        email: account.email,
                        name: account.name,
                        role: .init(rawValue: account.role.rawValue) ?? .caseworker,
                        createdAt: account.createdAt
                    )
                )
            )
        )
    }
}
