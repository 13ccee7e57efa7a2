using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Numerics;
using System.Text.Json.Nodes;
using Microsoft.Data.Sqlite;
using Nethereum.Util;
using SimpleXLedger.Clearing.Settlement;
using SimpleXLedger.Clearing.Storage;
using SimpleXLedger.Net;

namespace SimpleXLedger.Benchmarks;

/// <summary>
/// <c>sxl bench settlement</c>: closing one epoch (sums over the recorded batches and the payees' counts, leaves,
/// invariant checks, Merkle tree, leaf file written) on a fresh SQLite database seeded directly with the
/// redemption rows of <c>--tokens</c> tokens over <c>--payees</c> payees. Baseline from the same run: the bare SQL
/// scan that sums the same batches per payee (what the close cannot be faster than).
/// </summary>
public static class SettlementBench
{
    public static Command Build()
    {
        var tokens = new Option<long>("--tokens") { Description = "Accepted tokens in the epoch.", DefaultValueFactory = _ => 1_000_000 };
        var payees = new Option<int>("--payees") { Description = "Payees (operators) in the epoch.", DefaultValueFactory = _ => 10_000 };
        var batch = new Option<int>("--batch") { Description = "Tokens per seeded batch row.", DefaultValueFactory = _ => 64 };
        var json = new Option<bool>("--json") { Description = "Print one JSON object." };
        var command = new Command("settlement", "Epoch close time (sums, leaves, checks, tree, leaf file) on a fresh SQLite database seeded with the redemption rows; goal under 10 s for 1,000,000 tokens and 10,000 payees.")
        {
            tokens, payees, batch, json,
        };
        command.SetAction(async (parse, ct) =>
        {
            var tokenCount = parse.GetValue(tokens);
            var payeeCount = parse.GetValue(payees);
            var perBatch = parse.GetValue(batch);
            if (tokenCount < 0 || payeeCount < 1 || perBatch < 1)
            {
                await Console.Error.WriteLineAsync("error: --tokens must be non-negative, --payees and --batch positive");
                return ExitCodes.Usage;
            }

            var directory = Directory.CreateTempSubdirectory("sxl-bench-settlement-").FullName;
            try
            {
                var database = ClearingDatabase.Sqlite(Path.Combine(directory, ClearingDatabase.SqliteFileName));
                await database.MigrateAsync(ct);
                var seedWatch = Stopwatch.StartNew();
                var batches = Seed(database.ConnectionString, tokenCount, payeeCount, perBatch);
                var seedSeconds = seedWatch.Elapsed.TotalSeconds;
                var terms = new PayoutTerms(10_000, 2000, 500, "0x90F79bf6EB2c4f870365E785982E1f101E93b906");

                var baselineSeconds = Baseline(database.ConnectionString);

                var watch = Stopwatch.StartNew();
                await using (var db = database.CreateContext())
                {
                    var built = await EpochBuilder.BuildAsync(db, 1, terms, ct);
                    if (built.Failed.Count > 0)
                    {
                        throw new SettlementInvariantException(built.Failed);
                    }

                    var file = LeafFile.From(built.Payouts, built.Tree, 1, terms.OperatorRate);
                    new LeafStore(directory).Save(file);
                    if (built.Payouts.AcceptedTokens != tokenCount || built.Payouts.OperatorTotal != tokenCount * terms.OperatorRate)
                    {
                        throw new InvalidOperationException("the close did not account for every seeded token");
                    }
                }

                var closeSeconds = watch.Elapsed.TotalSeconds;
                Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
                var result = new JsonObject
                {
                    ["closeSeconds"] = Math.Round(closeSeconds, 3),
                    ["baselineSqlSumSeconds"] = Math.Round(baselineSeconds, 3),
                    ["tokens"] = tokenCount,
                    ["payees"] = payeeCount,
                    ["batchRows"] = batches,
                    ["seedSeconds"] = Math.Round(seedSeconds, 3),
                    ["goalSeconds"] = 10,
                };
                if (parse.GetValue(json))
                {
                    await Console.Out.WriteLineAsync(result.ToJsonString());
                }
                else
                {
                    await Console.Out.WriteLineAsync($"epoch close: {closeSeconds:F3} s for {tokenCount} tokens, {payeeCount} payees, {batches} batch rows (baseline SQL sum {baselineSeconds:F3} s; goal < 10 s)");
                }

                return ExitCodes.Ok;
            }
            finally
            {
                SqliteConnection.ClearAllPools();
                Directory.Delete(directory, recursive: true);
            }
        });
        return command;
    }

    /// <summary>One operator, the epoch, a token key, the payees' counts and their batches, in one transaction.</summary>
    private static long Seed(string connectionString, long tokens, int payees, int perBatch)
    {
        using var connection = new SqliteConnection(connectionString);
        connection.Open();
        using var tx = connection.BeginTransaction();
        void Exec(string sql)
        {
            using var c = connection.CreateCommand();
            c.Transaction = tx;
            c.CommandText = sql;
            c.ExecuteNonQuery();
        }

        Exec("INSERT INTO operators (id, public_key, payee, payee_signature, registered_at) VALUES (1, x'00', '0x0000000000000000000000000000000000000001', x'00', 0)");
        Exec("INSERT INTO epochs (number, starts_at, ends_at, state) VALUES (1, 0, 100, 1)");
        Exec($"INSERT INTO token_keys (key_id, accepted, redeem_until, purged) VALUES (x'{new string('a', 64)}', {tokens.ToString(CultureInfo.InvariantCulture)}, 1000000, 0)");
        using var count = connection.CreateCommand();
        count.Transaction = tx;
        count.CommandText = "INSERT INTO payee_epochs (payee, epoch, accepted) VALUES ($p, 1, $a)";
        var cp = count.Parameters.Add("$p", SqliteType.Text);
        var ca = count.Parameters.Add("$a", SqliteType.Integer);
        using var batch = connection.CreateCommand();
        batch.Transaction = tx;
        batch.CommandText = "INSERT INTO batches (batch_id, operator_id, redeemer_id, tokens_digest, payee, epoch, token_count, accepted, accepted_in_epoch, outcomes, recorded_at) VALUES ($id, 1, $r, $d, $p, 1, $n, $n, $running, $o, 0)";
        var bid = batch.Parameters.Add("$id", SqliteType.Blob);
        batch.Parameters.AddWithValue("$r", new byte[16]);
        batch.Parameters.AddWithValue("$d", new byte[32]);
        var bp = batch.Parameters.Add("$p", SqliteType.Text);
        var bn = batch.Parameters.Add("$n", SqliteType.Integer);
        var brun = batch.Parameters.Add("$running", SqliteType.Integer);
        var bo = batch.Parameters.Add("$o", SqliteType.Blob);
        long rows = 0;
        var idBytes = new byte[32];
        for (var i = 0; i < payees; i++)
        {
            // Tokens spread as evenly as integers allow; the first payees take the remainder.
            var mine = (tokens / payees) + (i < tokens % payees ? 1 : 0);
            if (mine == 0)
            {
                continue;
            }

            var payee = AddressUtil.Current.ConvertToChecksumAddress(new BigInteger(0x10000 + i).ToString("x40", CultureInfo.InvariantCulture)[^40..]);
            cp.Value = payee;
            ca.Value = mine;
            count.ExecuteNonQuery();
            long running = 0;
            while (running < mine)
            {
                var n = (int)Math.Min(perBatch, mine - running);
                running += n;
                System.Buffers.Binary.BinaryPrimitives.WriteInt64BigEndian(idBytes, ++rows);
                bid.Value = idBytes;
                bp.Value = payee;
                bn.Value = n;
                brun.Value = running;
                bo.Value = new byte[n];
                batch.ExecuteNonQuery();
            }
        }

        tx.Commit();
        return rows;
    }

    private static double Baseline(string connectionString)
    {
        var watch = Stopwatch.StartNew();
        using var connection = new SqliteConnection(connectionString);
        connection.Open();
        using var c = connection.CreateCommand();
        c.CommandText = "SELECT payee, SUM(accepted) FROM batches WHERE epoch = 1 GROUP BY payee";
        using var reader = c.ExecuteReader();
        long sum = 0;
        while (reader.Read())
        {
            sum += reader.GetInt64(1);
        }

        return sum >= 0 ? watch.Elapsed.TotalSeconds : double.NaN;
    }
}
