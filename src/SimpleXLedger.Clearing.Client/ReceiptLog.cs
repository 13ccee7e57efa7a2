using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace SimpleXLedger.Clearing.Client;

/// <summary>One stored receipt, with the clearing house and ledger domain it was signed for.</summary>
public sealed record StoredReceipt(
    [property: JsonPropertyName("payee")] string Payee,
    [property: JsonPropertyName("epoch")] ulong Epoch,
    [property: JsonPropertyName("acceptedInEpoch")] ulong AcceptedInEpoch,
    [property: JsonPropertyName("batchId")] string BatchId,
    [property: JsonPropertyName("signature")] string Signature,
    [property: JsonPropertyName("clearingHouse")] string ClearingHouse,
    [property: JsonPropertyName("ledger")] string Ledger,
    [property: JsonPropertyName("chainId")] ulong ChainId,
    [property: JsonPropertyName("accepted")] int Accepted)
{
    public byte[] BatchIdBytes => Convert.FromHexString(BatchId);

    public byte[] SignatureBytes => Convert.FromHexString(Signature);
}

/// <summary>
/// The relay's own copy of every receipt the clearing house gave it: an append-only JSON-lines file,
/// each line flushed to disk before the batch's outcomes are used, so a receipt is never lost once a
/// queue was credited. Retries may append a batch twice; <see cref="ReadAll"/> keeps one per batch id.
/// The settlement side (issue 7) checks posted epochs against these.
/// </summary>
public sealed class ReceiptLog
{
    public const string DefaultFileName = "clearing-receipts.jsonl";

    private readonly Lock _gate = new();

    public ReceiptLog(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        Path = path;
    }

    public string Path { get; }

    public void Append(StoredReceipt receipt)
    {
        ArgumentNullException.ThrowIfNull(receipt);
        var line = Encoding.UTF8.GetBytes(JsonSerializer.Serialize(receipt) + "\n");
        lock (_gate)
        {
            var options = new FileStreamOptions { Mode = FileMode.Append, Access = FileAccess.Write, Share = FileShare.Read };
            if (!OperatingSystem.IsWindows())
            {
                options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
            }

            using var stream = new FileStream(Path, options);
            stream.Write(line);
            stream.Flush(flushToDisk: true);
        }
    }

    /// <summary>Every receipt in the file, one per batch id (the last written wins), skipping a torn last line.</summary>
    public static IReadOnlyList<StoredReceipt> ReadAll(string path)
    {
        if (!File.Exists(path))
        {
            return [];
        }

        var byBatch = new Dictionary<string, StoredReceipt>(StringComparer.OrdinalIgnoreCase);
        var order = new List<string>();
        foreach (var line in File.ReadLines(path))
        {
            if (string.IsNullOrWhiteSpace(line))
            {
                continue;
            }

            StoredReceipt? receipt;
            try
            {
                receipt = JsonSerializer.Deserialize<StoredReceipt>(line);
            }
            catch (JsonException)
            {
                // A line cut short by a crash mid-append: its batch is retried and appended again.
                continue;
            }

            if (receipt is null)
            {
                continue;
            }

            if (!byBatch.ContainsKey(receipt.BatchId))
            {
                order.Add(receipt.BatchId);
            }

            byBatch[receipt.BatchId] = receipt;
        }

        return order.Select(id => byBatch[id]).ToList();
    }

    public IReadOnlyList<StoredReceipt> ReadAll() => ReadAll(Path);
}
