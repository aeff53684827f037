/** Errors the services raise; the HTTP layer maps them to status codes with Vietnamese messages. */
export class DomainError extends Error {
  constructor(
    message: string,
    readonly statusCode: number,
    readonly field?: string,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

export class NotFoundError extends DomainError {
  constructor(message: string, field?: string) {
    super(message, 404, field);
  }
}

export class InvalidInputError extends DomainError {
  constructor(message: string, field?: string) {
    super(message, 400, field);
  }
}
