using System.CommandLine;
using SimpleXLedger.Cards;

namespace SimpleXLedger.Cli.Commands;

/// <summary><c>sxl vendor …</c>: what a card vendor does: make card codes and the batch file for the issuer and the ledger.</summary>
internal static class VendorCommands
{
    public static Command Build()
    {
        var vendor = new Command("vendor", "Card vendors: make gift card codes and the batch file the issuer and the ledger take.");
        var cards = new Command("cards", "Gift card batches.");
        cards.Subcommands.Add(BuildGenerate());
        vendor.Subcommands.Add(cards);
        return vendor;
    }

    private static Command BuildGenerate()
    {
        var vendorId = new Option<string>("--vendor") { Description = "The vendor id (its ledger address in production).", Required = true };
        var value = new Option<ulong>("--value") { Description = "Credits on each card (one credit = one token).", Required = true };
        var count = new Option<int>("--count") { Description = "How many cards.", Required = true };
        var output = new Option<DirectoryInfo>("--out") { Description = "Directory for the codes file and the batch file (created if missing).", Required = true };
        var step = new Option<ulong>("--denomination")
        {
            Description = "Card values must be multiples of this step (the issuer's; 100 on a real network).",
            DefaultValueFactory = _ => CardMint.DefaultDenomination,
        };
        var command = new Command("generate", "Make a batch of new gift cards: the codes (owner-only file, to sell) and a batch file with only their hashes, values and Merkle root (for the issuer and for funding on-chain).")
        {
            vendorId, value, count, output, step,
        };
        command.SetAction(parse =>
        {
            var credits = parse.GetValue(value);
            var n = parse.GetValue(count);
            var denomination = parse.GetValue(step);
            if (denomination == 0 || !Denomination.IsValid(credits, denomination))
            {
                Console.Error.WriteLine($"error: --value must be a positive multiple of {denomination} credits (the denomination step)");
                return ExitCodes.Usage;
            }

            if (n is < 1 or > CardMint.MaxCount)
            {
                Console.Error.WriteLine($"error: --count must be between 1 and {CardMint.MaxCount}");
                return ExitCodes.Usage;
            }

            var directory = parse.GetValue(output)!;
            directory.Create();
            var (codes, batch) = CardMint.Generate(parse.GetValue(vendorId)!, credits, n, denomination);
            var stem = batch.BatchIdHex[2..18];
            var codesPath = Path.Combine(directory.FullName, $"cards-{stem}.codes.txt");
            var batchPath = Path.Combine(directory.FullName, $"cards-{stem}.batch.json");
            try
            {
                CardMint.WriteCodesFile(codesPath, codes);
                CardBatchFile.Write(batchPath, batch);
            }
            catch (IOException e)
            {
                Console.Error.WriteLine($"error: cannot write the batch: {e.Message}");
                return ExitCodes.Failed;
            }

            Console.Out.WriteLine($"batch {batch.BatchIdHex}: {n} cards of {credits} credits ({batch.TotalCredits} in all), root {batch.RootHex}");
            Console.Out.WriteLine($"codes (keep secret, owner-only): {codesPath}");
            Console.Out.WriteLine($"batch file (for the issuer and for funding): {batchPath}");
            return ExitCodes.Ok;
        });
        return command;
    }
}
