import IntakeCore

/// The tests' SECRETS_KEY: fixed, so a database written by one part of a test (a pool, a
/// process) opens in another.
public enum TestSecrets {
    public static let keyText = "Y2l2aWMtaW50YWtlIHRlc3RzOiBub3QgcmVhbCBrZXk="
    public static let keyring = SecretKeyring(current: SecretKeyring.Key(encoded: keyText)!)
}
