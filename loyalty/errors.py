"""The one error type of the application. Every refusal has a stable snake_case `code`,
a human `message` and an HTTP status the API layer uses as is."""


class ApplicationError(Exception):
    status = 400
    code = "invalid"

    def __init__(self, message: str, *, code: str | None = None, status: int | None = None, fields=None):
        super().__init__(message)
        self.message = message
        if code:
            self.code = code
        if status:
            self.status = status
        self.fields = fields


class ValidationFailed(ApplicationError):
    status = 400
    code = "invalid_input"


class NotFound(ApplicationError):
    status = 404
    code = "not_found"


class Conflict(ApplicationError):
    status = 409
    code = "conflict"


class InsufficientPoints(Conflict):
    code = "insufficient_points"

    def __init__(self, *, balance: int, requested: int):
        super().__init__(f"The member has {balance} points; {requested} are needed.")
        self.balance = balance
        self.requested = requested


class IdempotencyConflict(Conflict):
    code = "idempotency_conflict"
