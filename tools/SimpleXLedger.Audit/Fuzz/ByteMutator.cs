namespace SimpleXLedger.Audit.Fuzz;

/// <summary>Byte-level mutations of a valid value: bit flips, truncation, extension, splices, boundary bytes, garbage.</summary>
internal static class ByteMutator
{
    private static readonly byte[] Interesting = [0x00, 0x01, 0x7F, 0x80, 0xFF, 0xFE, 0x02, 0x10, 0x40];

    /// <summary>One or a few mutations of <paramref name="input"/>; the name says which (for the report).</summary>
    public static (byte[] Bytes, string Name) Mutate(FuzzRandom random, ReadOnlySpan<byte> input, int maxLength = 1 << 16)
    {
        ArgumentNullException.ThrowIfNull(random);
        var bytes = input.ToArray();
        switch (random.Next(12))
        {
            case 0 when bytes.Length > 0:
                FlipBit(random, bytes);
                return (bytes, "bit-flip");
            case 1 when bytes.Length > 0:
                for (var i = random.Between(2, 8); i > 0; i--)
                {
                    FlipBit(random, bytes);
                }

                return (bytes, "bit-flips");
            case 2 when bytes.Length > 0:
                return (bytes[..random.Next(bytes.Length)], "truncated");
            case 3:
                return ([.. bytes, .. random.Bytes(random.Between(1, 64))], "extended");
            case 4 when bytes.Length > 0:
                bytes[random.Next(bytes.Length)] = random.Pick(Interesting);
                return (bytes, "boundary-byte");
            case 5:
                return ([], "empty");
            case 6:
                return (random.Bytes(random.Length(Math.Max(bytes.Length, 1), Math.Min(maxLength, 4096))), "random");
            case 7 when bytes.Length > 1:
                {
                    // A slice of the value spliced in again: repeated fields, doubled lengths.
                    var start = random.Next(bytes.Length);
                    var length = random.Between(1, bytes.Length - start);
                    var at = random.Next(bytes.Length);
                    return ([.. bytes[..at], .. bytes.AsSpan(start, length), .. bytes[at..]], "spliced");
                }

            case 8 when bytes.Length > 1:
                {
                    var at = random.Next(bytes.Length);
                    var length = random.Between(1, Math.Min(16, bytes.Length - at));
                    return ([.. bytes[..at], .. bytes[(at + length)..]], "cut");
                }

            case 9 when bytes.Length > 0:
                Array.Fill(bytes, random.Chance(0.5) ? (byte)0x00 : (byte)0xFF);
                return (bytes, "all-same");
            case 10:
                return ([.. bytes, .. new byte[Math.Min(maxLength, random.Between(1024, 64 * 1024))]], "padded-large");
            default:
                if (bytes.Length == 0)
                {
                    return (random.Bytes(random.Between(1, 64)), "random");
                }

                FlipBit(random, bytes);
                return (bytes, "bit-flip");
        }
    }

    public static void FlipBit(FuzzRandom random, Span<byte> bytes)
    {
        ArgumentNullException.ThrowIfNull(random);
        if (bytes.Length > 0)
        {
            bytes[random.Next(bytes.Length)] ^= (byte)(1 << random.Next(8));
        }
    }

    /// <summary>Text mutations: empty, huge, control characters, other scripts, the value with a character changed.</summary>
    public static (string Text, string Name) MutateText(FuzzRandom random, string input)
    {
        ArgumentNullException.ThrowIfNull(random);
        ArgumentNullException.ThrowIfNull(input);
        switch (random.Next(9))
        {
            case 0:
                return (string.Empty, "empty-text");
            case 1:
                return (new string('A', random.Between(1024, 256 * 1024)), "huge-text");
            case 2:
                return (input + "\0\r\n\t\u0001", "control-chars");
            case 3:
                return ("Ꮪ✗🙂\u202E" + input + "\uFEFF", "unicode");
            case 4 when input.Length > 0:
                {
                    var chars = input.ToCharArray();
                    chars[random.Next(chars.Length)] = (char)random.Between(0x20, 0x7E);
                    return (new string(chars), "char-changed");
                }

            case 5 when input.Length > 1:
                return (input[..random.Next(input.Length)], "truncated-text");
            case 6:
                return (input + input, "doubled-text");
            case 7:
                return (Convert.ToHexString(random.Bytes(random.Between(1, 40))), "hex-garbage");
            default:
                return (input.ToLowerInvariant().Replace("-", " ", StringComparison.Ordinal), "reformatted");
        }
    }
}
