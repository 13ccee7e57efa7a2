using System.Buffers.Binary;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace SimpleXLedger.Clearing.Client;

/// <summary>
/// The byte and text formats both sides of clearing.proto sign and check: the clearing house's identity,
/// the digest of a batch's tokens, what an operator signs for a batch, and the registration text.
/// </summary>
public static class ClearingProtocol
{
    public const int IdentityLength = 32;
    public const int BatchIdLength = 32;
    public const int RedeemerIdLength = 16;
    public const int OperatorKeyLength = 32;
    public const int OperatorSignatureLength = 64;
    public const int TokensDigestLength = 32;

    private static readonly byte[] IdentityLabel = "sxl-clearing/1 identity\0"u8.ToArray();
    private static readonly byte[] RedeemLabel = "sxl-clearing/1 redeem\0"u8.ToArray();
    private static readonly byte[] TokensLabel = "sxl-clearing/1 tokens\0"u8.ToArray();

    /// <summary>
    /// SHA-256("sxl-clearing/1 identity" 0x00 ‖ chain id (uint256 BE) ‖ ledger (20) ‖ clearing house (20)):
    /// what operator signatures bind, so nothing signed for one clearing house counts at another.
    /// </summary>
    public static byte[] Identity(ulong chainId, string ledger, string clearingHouse)
    {
        var input = new byte[IdentityLabel.Length + 32 + 20 + 20];
        IdentityLabel.CopyTo(input, 0);
        BinaryPrimitives.WriteUInt64BigEndian(input.AsSpan(IdentityLabel.Length + 24), chainId);
        ParseAddress(ledger).CopyTo(input, IdentityLabel.Length + 32);
        ParseAddress(clearingHouse).CopyTo(input, IdentityLabel.Length + 52);
        return SHA256.HashData(input);
    }

    /// <summary>SHA-256 over a label, the count, then each token as its length (uint16 BE) and bytes.</summary>
    public static byte[] TokensDigest(IReadOnlyList<ReadOnlyMemory<byte>> tokens)
    {
        ArgumentNullException.ThrowIfNull(tokens);
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        hash.AppendData(TokensLabel);
        Span<byte> prefix = stackalloc byte[4];
        BinaryPrimitives.WriteInt32BigEndian(prefix, tokens.Count);
        hash.AppendData(prefix);
        foreach (var token in tokens)
        {
            if (token.Length > ushort.MaxValue)
            {
                throw new ArgumentException("a token is at most 65535 bytes", nameof(tokens));
            }

            BinaryPrimitives.WriteUInt16BigEndian(prefix, (ushort)token.Length);
            hash.AppendData(prefix[..2]);
            hash.AppendData(token.Span);
        }

        return hash.GetHashAndReset();
    }

    /// <summary>What the operator key signs for a batch.</summary>
    public static byte[] RedeemSigningInput(ReadOnlySpan<byte> identity, ReadOnlySpan<byte> batchId, ReadOnlySpan<byte> redeemerId, ReadOnlySpan<byte> tokensDigest)
    {
        if (identity.Length != IdentityLength || batchId.Length != BatchIdLength || redeemerId.Length != RedeemerIdLength || tokensDigest.Length != TokensDigestLength)
        {
            throw new ArgumentException("identity, batch id, redeemer id and tokens digest are 32, 32, 16 and 32 bytes");
        }

        var input = new byte[RedeemLabel.Length + IdentityLength + BatchIdLength + RedeemerIdLength + TokensDigestLength];
        var w = input.AsSpan();
        RedeemLabel.CopyTo(w);
        w = w[RedeemLabel.Length..];
        identity.CopyTo(w);
        batchId.CopyTo(w[IdentityLength..]);
        redeemerId.CopyTo(w[(IdentityLength + BatchIdLength)..]);
        tokensDigest.CopyTo(w[(IdentityLength + BatchIdLength + RedeemerIdLength)..]);
        return input;
    }

    /// <summary>
    /// The registration text the payee signs with EIP-191 (personal_sign) and the operator key signs with
    /// Ed25519: it names the clearing house's identity, the operator key and the payee (lower case).
    /// </summary>
    public static string RegistrationMessage(ReadOnlySpan<byte> identity, ReadOnlySpan<byte> operatorKey, string payee)
    {
        if (identity.Length != IdentityLength || operatorKey.Length != OperatorKeyLength)
        {
            throw new ArgumentException("identity and operator key are 32 bytes each");
        }

        ParseAddress(payee);
        var text = new StringBuilder();
        text.Append("SimpleXLedger operator registration\n");
        text.Append(CultureInfo.InvariantCulture, $"clearing house: {Convert.ToHexStringLower(identity)}\n");
        text.Append(CultureInfo.InvariantCulture, $"operator key: {Convert.ToHexStringLower(operatorKey)}\n");
        text.Append(CultureInfo.InvariantCulture, $"payee: {payee.ToLowerInvariant()}");
        return text.ToString();
    }

    /// <summary>True for 0x followed by 40 hex digits (any case; checksums are the signer side's business).</summary>
    public static bool IsAddress(string? text) =>
        text is { Length: 42 } && text.StartsWith("0x", StringComparison.OrdinalIgnoreCase) && text.AsSpan(2).ContainsAnyExcept(HexDigits) is false;

    private static readonly System.Buffers.SearchValues<char> HexDigits = System.Buffers.SearchValues.Create("0123456789abcdefABCDEF");

    internal static byte[] ParseAddress(string address)
    {
        if (!IsAddress(address))
        {
            throw new ArgumentException("an Ethereum address is 0x followed by 40 hex digits", nameof(address));
        }

        return Convert.FromHexString(address.AsSpan(2));
    }
}
