namespace SimpleXLedger.Audit.Fuzz;

/// <summary>What HttpClient can send, and what HTTP itself refuses before any application sees it.</summary>
internal static class HttpText
{
    /// <summary>Header text as HttpClient sends it (ASCII; anything else becomes '?').</summary>
    public static string Ascii(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        return string.Create(text.Length, text, (span, t) =>
        {
            for (var i = 0; i < t.Length; i++)
            {
                span[i] = t[i] <= 0x7F ? t[i] : '?';
            }
        });
    }

    /// <summary>Headers over 16 KB or with control characters, or a path with an encoded NUL: Kestrel answers a bare 4xx.</summary>
    public static bool BreaksHttp(HttpRequestMessage request)
    {
        ArgumentNullException.ThrowIfNull(request);
        var size = 0;
        foreach (var header in request.Headers.NonValidated)
        {
            foreach (var value in header.Value)
            {
                size += header.Key.Length + value.Length;
                if (value.Any(c => c < 0x20 && c != '\t' || c == 0x7F))
                {
                    return true;
                }
            }
        }

        return size > 16 * 1024 || request.RequestUri?.OriginalString.Contains("%00", StringComparison.Ordinal) == true;
    }
}
