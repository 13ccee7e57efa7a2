using System.Globalization;
using System.Numerics;
using System.Text.Json;
using System.Text.Json.Serialization;
using SimpleXLedger.Chain.Merkle;

namespace SimpleXLedger.Clearing.Settlement;

/// <summary>One published leaf: amounts as decimal strings (uint256).</summary>
public sealed record LeafEntry(
    [property: JsonPropertyName("payee")] string Payee,
    [property: JsonPropertyName("amount")] string Amount);

/// <summary>
/// An epoch's published settlement, as written to <c>settlement/epoch-NNNNNN.json</c> in the data directory and
/// served by settlement.proto: the leaves in published order, the root, the leaves hash (keccak256 of the leaves'
/// ABI encodings concatenated), the totals and, once anchored, the posting transaction. Written before posting,
/// so a crash between building and posting posts the very same root on restart.
/// </summary>
public sealed record LeafFile
{
    [JsonPropertyName("epoch")] public required ulong Epoch { get; init; }

    /// <summary>The ledger round this list is for (1; +1 for each re-post of a frozen epoch).</summary>
    [JsonPropertyName("round")] public required int Round { get; init; }

    [JsonPropertyName("operatorRate")] public required string OperatorRate { get; init; }

    [JsonPropertyName("acceptedTokens")] public required long AcceptedTokens { get; init; }

    [JsonPropertyName("leaves")] public required IReadOnlyList<LeafEntry> Leaves { get; init; }

    [JsonPropertyName("root")] public required string Root { get; init; }

    [JsonPropertyName("leavesHash")] public required string LeavesHash { get; init; }

    [JsonPropertyName("total")] public required string Total { get; init; }

    [JsonPropertyName("operatorTotal")] public required string OperatorTotal { get; init; }

    [JsonPropertyName("fee")] public required string Fee { get; init; }

    [JsonPropertyName("postedTx")] public string? PostedTx { get; init; }

    [JsonPropertyName("postedBlock")] public ulong? PostedBlock { get; init; }

    public IReadOnlyList<PayoutLeaf> PayoutLeaves => Leaves.Select(l => new PayoutLeaf(Epoch, l.Payee, BigInteger.Parse(l.Amount, CultureInfo.InvariantCulture))).ToList();

    public BigInteger TotalAmount => BigInteger.Parse(Total, CultureInfo.InvariantCulture);

    public BigInteger OperatorTotalAmount => BigInteger.Parse(OperatorTotal, CultureInfo.InvariantCulture);

    public byte[] RootBytes => Convert.FromHexString(Root.AsSpan(2));

    public byte[] LeavesHashBytes => Convert.FromHexString(LeavesHash.AsSpan(2));

    public static LeafFile From(EpochPayouts payouts, PayoutTree tree, int round, BigInteger rate)
    {
        ArgumentNullException.ThrowIfNull(payouts);
        ArgumentNullException.ThrowIfNull(tree);
        return new LeafFile
        {
            Epoch = payouts.Epoch,
            Round = round,
            OperatorRate = rate.ToString(CultureInfo.InvariantCulture),
            AcceptedTokens = payouts.AcceptedTokens,
            Leaves = payouts.Leaves.Select(l => new LeafEntry(l.Payee, l.Amount.ToString(CultureInfo.InvariantCulture))).ToList(),
            Root = Hex(tree.Root),
            LeavesHash = Hex(payouts.LeavesHash),
            Total = payouts.Total.ToString(CultureInfo.InvariantCulture),
            OperatorTotal = payouts.OperatorTotal.ToString(CultureInfo.InvariantCulture),
            Fee = payouts.Fee.ToString(CultureInfo.InvariantCulture),
        };
    }

    /// <summary>True when the stored root and hash are those of the stored leaves (a file is never trusted blindly).</summary>
    public bool IsConsistent()
    {
        var leaves = PayoutLeaves;
        var tree = PayoutTree.Build(leaves);
        return string.Equals(Hex(tree.Root), Root, StringComparison.OrdinalIgnoreCase)
            && string.Equals(Hex(EpochArithmetic.LeavesHash(leaves)), LeavesHash, StringComparison.OrdinalIgnoreCase)
            && tree.Total == TotalAmount;
    }

    public static string Hex(ReadOnlySpan<byte> bytes) => "0x" + Convert.ToHexStringLower(bytes);
}

/// <summary>The leaf files of one clearing house: <c>&lt;data&gt;/settlement/epoch-NNNNNN.json</c>, written atomically.</summary>
public sealed class LeafStore(string dataDirectory)
{
    private static readonly JsonSerializerOptions Json = new() { WriteIndented = true };

    public string Directory { get; } = Path.Combine(dataDirectory, "settlement");

    public string PathOf(ulong epoch) => Path.Combine(Directory, $"epoch-{epoch:D6}.json");

    public LeafFile? TryLoad(ulong epoch)
    {
        var path = PathOf(epoch);
        if (!File.Exists(path))
        {
            return null;
        }

        return JsonSerializer.Deserialize<LeafFile>(File.ReadAllBytes(path), Json)
            ?? throw new InvalidDataException($"{path} is empty");
    }

    /// <summary>Writes through a temporary file, flushed, then renamed over: a crash leaves the old or the new file, whole.</summary>
    public void Save(LeafFile file)
    {
        ArgumentNullException.ThrowIfNull(file);
        System.IO.Directory.CreateDirectory(Directory);
        var path = PathOf(file.Epoch);
        var temporary = path + ".tmp";
        using (var stream = new FileStream(temporary, FileMode.Create, FileAccess.Write, FileShare.None))
        {
            JsonSerializer.Serialize(stream, file, Json);
            stream.Flush(flushToDisk: true);
        }

        if (File.Exists(path) && TryLoad(file.Epoch) is { } previous && previous.Round != file.Round)
        {
            // Keep the list of an earlier round: a frozen round's disputes were judged against it.
            File.Copy(path, Path.Combine(Directory, $"epoch-{file.Epoch:D6}.r{previous.Round}.json"), overwrite: true);
        }

        File.Move(temporary, path, overwrite: true);
    }
}
