namespace SimpleXLedger.Cards;

/// <summary>
/// Makes a batch of new cards: the codes (for the vendor to sell) and the batch (for the issuer and the ledger).
/// The codes exist only in the returned list and the owner-only file the caller writes.
/// </summary>
public static class CardMint
{
    /// <summary>The default step card values are multiples of (the wallet's redemption batch size).</summary>
    public const ulong DefaultDenomination = 100;

    /// <summary>The largest batch made in one go.</summary>
    public const int MaxCount = 1_000_000;

    public static (IReadOnlyList<CardCode> Codes, CardBatch Batch) Generate(string vendor, ulong credits, int count, ulong denomination)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(vendor);
        Denomination.Check(credits, denomination);
        if (count is < 1 or > MaxCount)
        {
            throw new ArgumentOutOfRangeException(nameof(count), $"between 1 and {MaxCount} cards at a time");
        }

        var codes = new List<CardCode>(count);
        var cards = new List<BatchCard>(count);
        var seen = new HashSet<CardHash>();
        while (codes.Count < count)
        {
            var code = CardCode.Generate();
            var hash = code.ComputeHash();
            if (seen.Add(hash))
            {
                codes.Add(code);
                cards.Add(new BatchCard(hash, credits));
            }
        }

        return (codes, new CardBatch(CardBatch.NewBatchId(), vendor, cards));
    }

    /// <summary>
    /// Writes the codes one per line into a file that is created owner-only (0600) from the start, so no other
    /// user can ever read it, not even for a moment between create and chmod. Refuses to overwrite.
    /// </summary>
    public static void WriteCodesFile(string path, IEnumerable<CardCode> codes)
    {
        ArgumentNullException.ThrowIfNull(codes);
        var options = new FileStreamOptions
        {
            Mode = FileMode.CreateNew,
            Access = FileAccess.Write,
            Share = FileShare.None,
        };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }

        using var stream = new FileStream(path, options);
        using var writer = new StreamWriter(stream);
        foreach (var code in codes)
        {
            writer.Write(code.Reveal());
            writer.Write('\n');
        }
    }
}

/// <summary>Card values are whole multiples of a denomination step, so a card's value cannot fingerprint its owner.</summary>
public static class Denomination
{
    public static void Check(ulong credits, ulong step)
    {
        if (step == 0)
        {
            throw new ArgumentOutOfRangeException(nameof(step), "the denomination step is at least 1");
        }

        if (credits == 0 || credits % step != 0)
        {
            throw new ArgumentOutOfRangeException(nameof(credits), $"a card's value is a positive multiple of {step} credits");
        }
    }

    public static bool IsValid(ulong credits, ulong step) => step > 0 && credits > 0 && credits % step == 0;
}
