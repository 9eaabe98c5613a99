import IntakeCore
import IntakeProblems
import Testing

@Suite struct ProblemTests {
    @Test func pointersEscapeSlashesAndTildes() {
        #expect(JSONPointer.from(["location", "lat"]) == "/location/lat")
        #expect(JSONPointer.from(["attributes", "a/b~c"]) == "/attributes/a~1b~0c")
        #expect(JSONPointer.from([]) == "")
    }

    @Test func validationSummaryNamesASingleField() {
        let error = APIError.validation([FieldError(pointer: "/name", detail: "is required")])
        #expect(error.status == 422)
        #expect(error.code == "validation_failed")
        #expect(error.detail == "/name: is required")
        let many = APIError.validation([
            FieldError(pointer: "/a", detail: "x"), FieldError(pointer: "/b", detail: "y"),
        ])
        #expect(many.detail == "2 fields are invalid.")
    }

    @Test func methodNotAllowedListsTheAllowedMethods() {
        let error = APIError.methodNotAllowed(allowed: ["GET", "POST"])
        #expect(error.status == 405)
        #expect(error.headers["Allow"] == "GET, POST")
    }
}
