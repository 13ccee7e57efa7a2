using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace SimpleXLedger.Cards;

/// <summary>One card of a batch as the issuer sees it: its hash and its value. Never its code.</summary>
public sealed record BatchCard(CardHash Hash, ulong Credits);

/// <summary>
/// What a vendor gives the issuer for a batch of cards it made: hashes and values, the vendor id, a random batch
/// id and the Merkle root it commits on-chain when it funds the batch (<see cref="BatchMerkleRoot"/>).
/// </summary>
public sealed class CardBatch
{
    public const int BatchIdSize = 32;

    public CardBatch(byte[] batchId, string vendor, IReadOnlyList<BatchCard> cards)
    {
        ArgumentNullException.ThrowIfNull(batchId);
        ArgumentException.ThrowIfNullOrWhiteSpace(vendor);
        ArgumentNullException.ThrowIfNull(cards);
        if (batchId.Length != BatchIdSize)
        {
            throw new CardBatchException($"a batch id is {BatchIdSize} bytes");
        }

        if (cards.Count == 0)
        {
            throw new CardBatchException("a batch holds at least one card");
        }

        var seen = new HashSet<CardHash>();
        foreach (var card in cards)
        {
            if (card.Credits == 0)
            {
                throw new CardBatchException("every card is worth at least one credit");
            }

            if (!seen.Add(card.Hash))
            {
                throw new CardBatchException($"card hash {card.Hash} appears twice in the batch");
            }
        }

        BatchId = batchId;
        Vendor = vendor;
        Cards = cards;
        TotalCredits = checked(cards.Aggregate(0UL, (sum, c) => sum + c.Credits));
        Root = BatchMerkleRoot.Compute(cards.Select(c => (c.Hash, c.Credits)));
    }

    public byte[] BatchId { get; }

    public string BatchIdHex => "0x" + Convert.ToHexStringLower(BatchId);

    public string Vendor { get; }

    public IReadOnlyList<BatchCard> Cards { get; }

    public ulong TotalCredits { get; }

    public byte[] Root { get; }

    public string RootHex => "0x" + Convert.ToHexStringLower(Root);

    public static byte[] NewBatchId() => RandomNumberGenerator.GetBytes(BatchIdSize);
}

/// <summary>A batch file that is malformed or inconsistent (its stated root or total does not match its cards).</summary>
public sealed class CardBatchException : Exception
{
    public CardBatchException()
    {
    }

    public CardBatchException(string message)
        : base(message)
    {
    }

    public CardBatchException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}

/// <summary>
/// The batch file (JSON): <c>{"format":"sxl-card-batch/1","batchId":"0x…","vendor":"…","cardCount":n,
/// "totalCredits":n,"root":"0x…","cards":[{"hash":"0x…","credits":n},…]}</c>. Reading recomputes the root and the
/// total and refuses a file whose stated values differ.
/// </summary>
public static class CardBatchFile
{
    public const string Format = "sxl-card-batch/1";

    private static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    public static string ToJson(CardBatch batch)
    {
        ArgumentNullException.ThrowIfNull(batch);
        var dto = new BatchDto
        {
            Format = Format,
            BatchId = batch.BatchIdHex,
            Vendor = batch.Vendor,
            CardCount = batch.Cards.Count,
            TotalCredits = batch.TotalCredits,
            Root = batch.RootHex,
            Cards = [.. batch.Cards.Select(c => new CardDto { Hash = c.Hash.ToString(), Credits = c.Credits })],
        };
        return JsonSerializer.Serialize(dto, Json);
    }

    public static CardBatch FromJson(string json)
    {
        BatchDto? dto;
        try
        {
            dto = JsonSerializer.Deserialize<BatchDto>(json, Json);
        }
        catch (JsonException e)
        {
            throw new CardBatchException($"not a batch file: {e.Message}");
        }

        if (dto is null || dto.Format != Format)
        {
            throw new CardBatchException($"not a batch file (expected format {Format})");
        }

        var batchId = ParseHex32(dto.BatchId, "batchId");
        if (string.IsNullOrWhiteSpace(dto.Vendor))
        {
            throw new CardBatchException("the batch file names no vendor");
        }

        var cards = new List<BatchCard>();
        foreach (var c in dto.Cards ?? [])
        {
            if (!CardHash.TryParse(c.Hash, out var hash))
            {
                throw new CardBatchException("a card hash in the batch file is not 0x followed by 64 hex digits");
            }

            cards.Add(new BatchCard(hash, c.Credits));
        }

        var batch = new CardBatch(batchId, dto.Vendor, cards);
        if (dto.CardCount != batch.Cards.Count)
        {
            throw new CardBatchException($"the batch file says {dto.CardCount} cards but lists {batch.Cards.Count}");
        }

        if (dto.TotalCredits != batch.TotalCredits)
        {
            throw new CardBatchException($"the batch file says {dto.TotalCredits} credits but its cards add up to {batch.TotalCredits}");
        }

        if (!string.Equals(dto.Root, batch.RootHex, StringComparison.OrdinalIgnoreCase))
        {
            throw new CardBatchException("the batch file's Merkle root does not match its cards");
        }

        return batch;
    }

    public static CardBatch Read(string path) => FromJson(File.ReadAllText(path));

    /// <summary>Writes the batch file; it holds no secret, but it is not overwritten either.</summary>
    public static void Write(string path, CardBatch batch)
    {
        using var stream = new FileStream(path, FileMode.CreateNew, FileAccess.Write);
        using var writer = new StreamWriter(stream);
        writer.Write(ToJson(batch));
        writer.Write('\n');
    }

    private static byte[] ParseHex32(string? text, string field)
    {
        var hex = text is not null && text.StartsWith("0x", StringComparison.OrdinalIgnoreCase) ? text[2..] : text;
        if (hex is null || hex.Length != 64)
        {
            throw new CardBatchException($"{field} is 0x followed by 64 hex digits");
        }

        try
        {
            return Convert.FromHexString(hex);
        }
        catch (FormatException)
        {
            throw new CardBatchException($"{field} is 0x followed by 64 hex digits");
        }
    }

    private sealed class BatchDto
    {
        public string? Format { get; set; }

        public string? BatchId { get; set; }

        public string? Vendor { get; set; }

        public int CardCount { get; set; }

        public ulong TotalCredits { get; set; }

        public string? Root { get; set; }

        public List<CardDto>? Cards { get; set; }
    }

    private sealed class CardDto
    {
        public string? Hash { get; set; }

        public ulong Credits { get; set; }
    }
}
