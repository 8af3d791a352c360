// SaslFailure: a refused SASL exchange, carrying the error message the client gets in
// SaslAuthenticate (SASL_AUTHENTICATION_FAILED). As Kafka's SaslServerAuthenticator does, a
// mechanism's own reason (unknown user, bad proof) stays in the broker's log: the client gets
// "Authentication failed during authentication due to invalid credentials with SASL mechanism
// <M>", so a refusal does not tell whether the user exists. Kafka's
// SaslAuthenticationException messages ("Authentication failed: Invalid username or password")
// reach the client as they are.
export class SaslFailure extends Error {
  private constructor(
    /** What the client is told. */
    readonly clientMessage: string,
    /** What the broker logs (never a password). */
    readonly detail: string,
  ) {
    super(detail);
    this.name = 'SaslFailure';
  }

  /** Kafka's SaslException path: a generic message to the client, the reason kept for the log. */
  static credentials(mechanism: string, detail: string, reauthenticating = false): SaslFailure {
    return new SaslFailure(`Authentication failed during ${reauthenticating ? 're-authentication' : 'authentication'} due to invalid credentials with SASL mechanism ${mechanism}`, detail);
  }

  /** Kafka's SaslAuthenticationException path: the message goes to the client as is. */
  static withMessage(message: string): SaslFailure {
    return new SaslFailure(message, message);
  }
}
