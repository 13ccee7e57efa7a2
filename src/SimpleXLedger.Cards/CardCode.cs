using System.Diagnostics.CodeAnalysis;
using System.Security.Cryptography;
using System.Text;

namespace SimpleXLedger.Cards;

/// <summary>
/// A gift card code: a bearer secret a person can type.
/// <c>SXL-XXXX-XXXX-XXXX-XXXX-XXXX-XXXX-XXXX-C</c>: the prefix, 28 Crockford base32 symbols
/// (140 random bits, from <see cref="RandomNumberGenerator"/>) in groups of four, and one check symbol.
/// </summary>
/// <remarks>
/// <para>Reading is forgiving the way Crockford base32 intends: any case, dashes and spaces anywhere,
/// <c>I</c>/<c>L</c> read as <c>1</c> and <c>O</c> as <c>0</c>. A typo is caught by the check symbol before
/// anything is looked up.</para>
/// <para>The check symbol is a weighted sum over GF(32) (polynomial x⁵+x²+1, weights αⁱ, all distinct), not
/// Crockford's mod-37 symbol: it stays inside the same 32-symbol alphabet (no <c>*~$=</c>, which shells and
/// eyes trip over), and it still detects every single wrong symbol and every swap of two different symbols.</para>
/// <para>The code never prints itself by accident: <see cref="ToString"/> withholds it; <see cref="Reveal"/> is the
/// one deliberate way to show it (to the vendor who sells it, or the wallet that redeems it).</para>
/// </remarks>
public sealed class CardCode : IEquatable<CardCode>
{
    /// <summary>What every code starts with.</summary>
    public const string Prefix = "SXL";

    /// <summary>Random symbols in a code: 28 × 5 = 140 bits.</summary>
    public const int DataSymbols = 28;

    /// <summary>Symbols per dash-separated group.</summary>
    public const int GroupSize = 4;

    /// <summary>Crockford base32 digits: 0-9 and A-Z without I, L, O, U.</summary>
    public const string Alphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

    /// <summary>Length of the printed form, dashes included.</summary>
    public static readonly int FormattedLength = Prefix.Length + 1 + (DataSymbols / GroupSize * (GroupSize + 1)) + 1;

    private readonly byte[] _symbols; // DataSymbols + 1 values in 0..31, the last is the check symbol

    private CardCode(byte[] symbols)
    {
        _symbols = symbols;
    }

    /// <summary>A new random code. Only vendors (and users buying a card on-chain) make codes, never the issuer.</summary>
    public static CardCode Generate()
    {
        var symbols = new byte[DataSymbols + 1];
        for (var i = 0; i < DataSymbols; i++)
        {
            symbols[i] = (byte)RandomNumberGenerator.GetInt32(32);
        }

        symbols[DataSymbols] = CheckSymbol(symbols.AsSpan(0, DataSymbols));
        return new CardCode(symbols);
    }

    /// <summary>Reads a code as a person typed it. Fails without saying anything about the code's content.</summary>
    public static bool TryParse(ReadOnlySpan<char> text, [NotNullWhen(true)] out CardCode? code, out CardCodeError error)
    {
        code = null;
        Span<char> compact = stackalloc char[64];
        var n = 0;
        foreach (var c in text)
        {
            if (c is '-' or ' ' or '\t' or '\r' or '\n')
            {
                continue;
            }

            if (n == compact.Length)
            {
                error = CardCodeError.WrongLength;
                return false;
            }

            compact[n++] = char.ToUpperInvariant(c);
        }

        if (n == 0)
        {
            error = CardCodeError.Empty;
            return false;
        }

        // The prefix is compared before the Crockford substitutions (its L must not become a 1).
        if (n < Prefix.Length || !compact[..Prefix.Length].SequenceEqual(Prefix))
        {
            error = CardCodeError.MissingPrefix;
            return false;
        }

        var body = compact[Prefix.Length..n];
        if (body.Length != DataSymbols + 1)
        {
            error = CardCodeError.WrongLength;
            return false;
        }

        var symbols = new byte[DataSymbols + 1];
        for (var i = 0; i < body.Length; i++)
        {
            var value = SymbolValue(body[i]);
            if (value < 0)
            {
                error = CardCodeError.InvalidCharacter;
                return false;
            }

            symbols[i] = (byte)value;
        }

        if (CheckSymbol(symbols.AsSpan(0, DataSymbols)) != symbols[DataSymbols])
        {
            error = CardCodeError.CheckFailed;
            return false;
        }

        code = new CardCode(symbols);
        error = CardCodeError.None;
        return true;
    }

    /// <summary>Reads a code or throws <see cref="CardCodeFormatException"/> (which never carries the text).</summary>
    public static CardCode Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        return TryParse(text, out var code, out var error) ? code : throw new CardCodeFormatException(error);
    }

    /// <summary>The printable form, <c>SXL-XXXX-…-C</c>. Call it only to hand the code to its owner.</summary>
    public string Reveal()
    {
        var sb = new StringBuilder(FormattedLength);
        sb.Append(Prefix);
        for (var i = 0; i < DataSymbols; i++)
        {
            if (i % GroupSize == 0)
            {
                sb.Append('-');
            }

            sb.Append(Alphabet[_symbols[i]]);
        }

        sb.Append('-').Append(Alphabet[_symbols[DataSymbols]]);
        return sb.ToString();
    }

    /// <summary>The canonical compact form that is hashed: prefix and symbols, upper case, no dashes.</summary>
    internal byte[] CanonicalBytes()
    {
        var bytes = new byte[Prefix.Length + DataSymbols + 1];
        Encoding.ASCII.GetBytes(Prefix, bytes);
        for (var i = 0; i <= DataSymbols; i++)
        {
            bytes[Prefix.Length + i] = (byte)Alphabet[_symbols[i]];
        }

        return bytes;
    }

    /// <summary>The card's public identity: see <see cref="CardHash.Of"/>.</summary>
    public CardHash ComputeHash() => CardHash.Of(this);

    /// <summary>Withheld on purpose, so that a code never lands in a log or an exception message.</summary>
    public override string ToString() => "SXL-(card code withheld)";

    public bool Equals(CardCode? other) =>
        other is not null && CryptographicOperations.FixedTimeEquals(_symbols, other._symbols);

    public override bool Equals(object? obj) => Equals(obj as CardCode);

    public override int GetHashCode() => ComputeHash().GetHashCode();

    /// <summary>
    /// The check symbol: Σ αⁱ⁺¹·dᵢ over GF(32), so that Σ over all 29 positions (the check weighted α⁰) is zero.
    /// Every weight is distinct and non-zero (α has order 31 &gt; 29), hence one wrong symbol or two swapped
    /// different symbols always change the sum.
    /// </summary>
    internal static byte CheckSymbol(ReadOnlySpan<byte> data)
    {
        byte sum = 0;
        byte weight = 1;
        foreach (var d in data)
        {
            weight = GfMultiply(weight, 2);
            sum ^= GfMultiply(weight, d);
        }

        return sum;
    }

    private static byte GfMultiply(byte a, byte b)
    {
        // Carry-less multiply in GF(2⁵) reduced by x⁵ + x² + 1 (0b100101).
        var result = 0;
        int x = a, y = b;
        while (y != 0)
        {
            if ((y & 1) != 0)
            {
                result ^= x;
            }

            y >>= 1;
            x <<= 1;
            if ((x & 0b100000) != 0)
            {
                x ^= 0b100101;
            }
        }

        return (byte)result;
    }

    private static int SymbolValue(char c) => c switch
    {
        >= '0' and <= '9' => c - '0',
        'I' or 'L' => 1,
        'O' => 0,
        'U' => -1,
        >= 'A' and <= 'Z' => Alphabet.IndexOf(c, StringComparison.Ordinal),
        _ => -1,
    };
}

/// <summary>Why a text is not a card code. Says nothing about the code itself.</summary>
public enum CardCodeError
{
    None,
    Empty,
    MissingPrefix,
    WrongLength,
    InvalidCharacter,
    CheckFailed,
}

/// <summary>A text that is not a card code. The message names the kind of mistake, never the text.</summary>
public sealed class CardCodeFormatException : FormatException
{
    public CardCodeFormatException(CardCodeError error)
        : base(Describe(error))
    {
        Error = error;
    }

    public CardCodeFormatException()
        : this(CardCodeError.Empty)
    {
    }

    public CardCodeFormatException(string message)
        : base(message)
    {
    }

    public CardCodeFormatException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    public CardCodeError Error { get; }

    public static string Describe(CardCodeError error) => error switch
    {
        CardCodeError.Empty => "no card code was given",
        CardCodeError.MissingPrefix => $"a card code starts with {CardCode.Prefix}-",
        CardCodeError.WrongLength => "a card code has 29 symbols after the prefix",
        CardCodeError.InvalidCharacter => "a card code holds only digits and the letters A-Z except U",
        CardCodeError.CheckFailed => "the card code's check symbol does not match: it was probably mistyped",
        _ => "not a card code",
    };
}
