using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;

namespace SimpleXLedger.Cards.Tests;

public class CardCodeTests
{
    // Computed independently (a few lines of Python doing the GF(32) sum and SHA-256) and pinned here.
    private const string KnownCode = "SXL-0123-4567-89AB-CDEF-GHJK-MNPQ-RSTV-4";
    private const string KnownHash = "0xe46b8a75c32df86ce46e531723045f64c36139c883aed3425081eb6d77d1d77a";

    [Fact]
    public void A_generated_code_has_the_documented_shape_and_reads_back()
    {
        var code = CardCode.Generate();
        var text = code.Reveal();

        Assert.Equal(CardCode.FormattedLength, text.Length);
        Assert.Matches("^SXL(-[0-9A-HJKMNP-TV-Z]{4}){7}-[0-9A-HJKMNP-TV-Z]$", text);
        Assert.True(CardCode.TryParse(text, out var back, out var error));
        Assert.Equal(CardCodeError.None, error);
        Assert.Equal(code, back);
        Assert.Equal(code.ComputeHash(), back!.ComputeHash());
    }

    [Fact]
    public void Generated_codes_differ()
    {
        var hashes = Enumerable.Range(0, 2000).Select(_ => CardCode.Generate().ComputeHash()).ToHashSet();
        Assert.Equal(2000, hashes.Count);
    }

    [Fact]
    public void The_hash_matches_the_independently_computed_vector()
    {
        Assert.Equal(KnownHash, CardCode.Parse(KnownCode).ComputeHash().ToString());
    }

    [Theory]
    [InlineData("sxl-0123-4567-89ab-cdef-ghjk-mnpq-rstv-4")]
    [InlineData("SXL0123456789ABCDEFGHJKMNPQRSTV4")]
    [InlineData("  SXL 0123 4567 89AB CDEF GHJK MNPQ RSTV 4 ")]
    [InlineData("SXL-O123-4567-89AB-CDEF-GHJK-MNPQ-RSTV-4")] // O read as 0
    [InlineData("SXL-0I23-4567-89AB-CDEF-GHJK-MNPQ-RSTV-4")] // I read as 1
    [InlineData("SXL-0l23-4567-89AB-CDEF-GHJK-MNPQ-RSTV-4")] // l read as 1
    public void Reading_forgives_case_dashes_spaces_and_look_alike_letters(string typed)
    {
        Assert.Equal(KnownHash, CardCode.Parse(typed).ComputeHash().ToString());
    }

    [Theory]
    [InlineData("", CardCodeError.Empty)]
    [InlineData(" - ", CardCodeError.Empty)]
    [InlineData("ABC-0123-4567-89AB-CDEF-GHJK-MNPQ-RSTV-4", CardCodeError.MissingPrefix)]
    [InlineData("SXL-0123-4567-89AB-CDEF-GHJK-MNPQ-RSTV", CardCodeError.WrongLength)]
    [InlineData("SXL-0123-4567-89AB-CDEF-GHJK-MNPQ-RSTV-44", CardCodeError.WrongLength)]
    [InlineData("SXL-0123-4567-89AB-CDEF-GHJK-MNPQ-RSTU-4", CardCodeError.InvalidCharacter)]
    [InlineData("SXL-0123-4567-89AB-CDEF-GHJK-MNPQ-RST#-4", CardCodeError.InvalidCharacter)]
    [InlineData("SXL-1123-4567-89AB-CDEF-GHJK-MNPQ-RSTV-4", CardCodeError.CheckFailed)]
    [InlineData("SXL-1023-4567-89AB-CDEF-GHJK-MNPQ-RSTV-4", CardCodeError.CheckFailed)]
    public void Bad_input_gets_a_typed_error(string typed, CardCodeError expected)
    {
        Assert.False(CardCode.TryParse(typed, out var code, out var error));
        Assert.Null(code);
        Assert.Equal(expected, error);
        var thrown = Assert.Throws<CardCodeFormatException>(() => CardCode.Parse(typed));
        Assert.Equal(expected, thrown.Error);
    }

    [Fact]
    public void Every_single_wrong_symbol_in_a_code_is_caught_by_the_check()
    {
        var text = CardCode.Generate().Reveal().Replace("-", "", StringComparison.Ordinal);
        for (var pos = CardCode.Prefix.Length; pos < text.Length; pos++)
        {
            foreach (var symbol in CardCode.Alphabet)
            {
                if (symbol == text[pos])
                {
                    continue;
                }

                var typo = string.Concat(text.AsSpan(0, pos), symbol.ToString(), text.AsSpan(pos + 1));
                Assert.False(CardCode.TryParse(typo, out _, out var error));
                Assert.Equal(CardCodeError.CheckFailed, error);
            }
        }
    }

    [Property(MaxTest = 200)]
    public Property Swapping_two_different_symbols_is_always_caught(PositiveInt a, PositiveInt b)
    {
        var text = CardCode.Generate().Reveal().Replace("-", "", StringComparison.Ordinal).ToCharArray();
        var span = text.Length - CardCode.Prefix.Length;
        var i = CardCode.Prefix.Length + (a.Get % span);
        var j = CardCode.Prefix.Length + (b.Get % span);
        var differ = text[i] != text[j];
        (text[i], text[j]) = (text[j], text[i]);
        var accepted = CardCode.TryParse(new string(text), out _, out _);
        return (!differ || !accepted).ToProperty();
    }

    [Fact]
    public void The_code_never_prints_itself_by_accident()
    {
        var code = CardCode.Generate();
        var body = code.Reveal()[4..];
        Assert.DoesNotContain(body, code.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain(body, $"{code}", StringComparison.Ordinal);
        var thrown = Assert.Throws<CardCodeFormatException>(() => CardCode.Parse(code.Reveal()[..^1] + "Z" + "Z"));
        Assert.DoesNotContain(body[..8], thrown.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Card_hash_text_round_trips_and_refuses_garbage()
    {
        var hash = CardCode.Generate().ComputeHash();
        Assert.Equal(hash, CardHash.Parse(hash.ToString()));
        Assert.False(CardHash.TryParse("0x1234", out _));
        Assert.False(CardHash.TryParse("0x" + new string('g', 64), out _));
        Assert.False(CardHash.TryParse(null, out _));
    }
}
