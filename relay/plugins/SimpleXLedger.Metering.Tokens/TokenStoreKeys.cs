namespace SimpleXLedger.Metering.Tokens;

/// <summary>
/// The token plugin's keys in the relay's metering store (<c>metering_store.key</c>): one entry per spent token,
/// one per token credited while the clearing house was unreachable. Public so tools that read a relay's file (the
/// audit) use the plugin's own prefixes.
/// </summary>
public static class TokenStoreKeys
{
    /// <summary>A spent token: <c>spent:</c> + nonce (hex) + the key id's first 8 bytes (hex).</summary>
    public const string SpentPrefix = "spent:";

    /// <summary>A token credited but not yet redeemed at the clearing house.</summary>
    public const string OutboxPrefix = "outbox:";
}
