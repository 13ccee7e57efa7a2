using System.Security.Cryptography;
using System.Text;

namespace SimpleXLedger.Cards;

/// <summary>
/// A card's public identity: <c>SHA-256("SimpleXLedger card v1" ‖ 0x00 ‖ canonical code)</c>, where the canonical
/// code is the ASCII text <c>SXL</c> followed by the 29 symbols, upper case, without dashes.
/// This is what the vendor commits on-chain (as <c>bytes32</c>), what the issuer stores, and what a wallet
/// computes for a card it buys on-chain.
/// </summary>
/// <remarks>
/// A fast hash is right here, unlike for passwords: the code carries 140 uniformly random bits, so nobody can
/// search the code space from a hash whatever the hash costs, and a slow hash would only slow every redemption.
/// The domain prefix keeps this hash apart from any other SHA-256 of the same bytes.
/// </remarks>
public readonly struct CardHash : IEquatable<CardHash>
{
    public const int Size = 32;

    private static readonly byte[] Domain = [.. Encoding.ASCII.GetBytes("SimpleXLedger card v1"), 0];

    private readonly byte[]? _bytes;

    private CardHash(byte[] bytes)
    {
        _bytes = bytes;
    }

    public ReadOnlySpan<byte> Bytes => _bytes ?? new byte[Size];

    public static CardHash Of(CardCode code)
    {
        ArgumentNullException.ThrowIfNull(code);
        var canonical = code.CanonicalBytes();
        var input = new byte[Domain.Length + canonical.Length];
        Domain.CopyTo(input, 0);
        canonical.CopyTo(input, Domain.Length);
        var hash = SHA256.HashData(input);
        CryptographicOperations.ZeroMemory(input);
        CryptographicOperations.ZeroMemory(canonical);
        return new CardHash(hash);
    }

    public static CardHash FromBytes(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length != Size)
        {
            throw new ArgumentException($"a card hash is {Size} bytes", nameof(bytes));
        }

        return new CardHash(bytes.ToArray());
    }

    /// <summary>Reads <c>0x</c> + 64 hex digits (the prefix is optional).</summary>
    public static bool TryParse(string? text, out CardHash hash)
    {
        hash = default;
        if (text is null)
        {
            return false;
        }

        var hex = text.StartsWith("0x", StringComparison.OrdinalIgnoreCase) ? text[2..] : text;
        if (hex.Length != Size * 2)
        {
            return false;
        }

        try
        {
            hash = new CardHash(Convert.FromHexString(hex));
            return true;
        }
        catch (FormatException)
        {
            return false;
        }
    }

    public static CardHash Parse(string text) =>
        TryParse(text, out var hash) ? hash : throw new FormatException("a card hash is 0x followed by 64 hex digits");

    public byte[] ToArray() => Bytes.ToArray();

    /// <summary><c>0x</c> + 64 lower-case hex digits, as a Solidity <c>bytes32</c> is written.</summary>
    public override string ToString() => "0x" + Convert.ToHexStringLower(Bytes);

    public bool Equals(CardHash other) => Bytes.SequenceEqual(other.Bytes);

    public override bool Equals(object? obj) => obj is CardHash other && Equals(other);

    public override int GetHashCode() => BitConverter.ToInt32(Bytes[..4]);

    public static bool operator ==(CardHash left, CardHash right) => left.Equals(right);

    public static bool operator !=(CardHash left, CardHash right) => !left.Equals(right);
}
