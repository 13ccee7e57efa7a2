namespace SimpleXLedger.Tokens;

/// <summary>
/// base64url (RFC 4648 §5) as Privacy Pass uses it: written with padding (RFC 9577 says the value MUST include
/// it); read strictly: only the url-safe alphabet, padding optional, no whitespace, canonical trailing bits.
/// </summary>
public static class Base64Url
{
    public static string Encode(ReadOnlySpan<byte> data) =>
        Convert.ToBase64String(data).Replace('+', '-').Replace('/', '_');

    public static bool TryDecode(string? text, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out byte[]? data)
    {
        data = null;
        if (text is null || text.Length > 1 << 20)
        {
            return false;
        }

        var unpaddedLength = text.Length;
        while (unpaddedLength > 0 && text[unpaddedLength - 1] == '=')
        {
            unpaddedLength--;
        }

        if (text.Length - unpaddedLength > 2 || unpaddedLength % 4 == 1)
        {
            return false;
        }

        var padded = (unpaddedLength + 3) / 4 * 4;
        if (text.Length != unpaddedLength && text.Length != padded)
        {
            return false;
        }

        var chars = new char[padded];
        for (var i = 0; i < unpaddedLength; i++)
        {
            var c = text[i];
            chars[i] = c switch
            {
                >= 'A' and <= 'Z' or >= 'a' and <= 'z' or >= '0' and <= '9' => c,
                '-' => '+',
                '_' => '/',
                _ => '\0',
            };
            if (chars[i] == '\0')
            {
                return false;
            }
        }

        for (var i = unpaddedLength; i < padded; i++)
        {
            chars[i] = '=';
        }

        var buffer = new byte[padded / 4 * 3];
        if (!Convert.TryFromBase64Chars(chars, buffer, out var written))
        {
            return false;
        }

        var decoded = buffer.AsSpan(0, written).ToArray();

        // Canonical: non-zero unused bits would let two strings name the same bytes.
        var again = Encode(decoded).TrimEnd('=');
        if (!again.AsSpan().SequenceEqual(text.AsSpan(0, unpaddedLength)))
        {
            return false;
        }

        data = decoded;
        return true;
    }
}
