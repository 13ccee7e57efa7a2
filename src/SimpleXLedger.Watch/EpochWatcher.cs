using System.Numerics;
using System.Security.Cryptography;
using Microsoft.Extensions.Logging;
using Nethereum.RPC.Eth.DTOs;
using SimpleXLedger.Chain.Contracts;
using SimpleXLedger.Chain.Contracts.V2;
using SimpleXLedger.Chain.Services;
using SimpleXLedger.Epochs;

namespace SimpleXLedger.Watch;

/// <summary>What the watcher did about one posted epoch.</summary>
public sealed record EpochReport(ulong Epoch, byte Round, string Outcome, long TokensChecked, long SignaturesVerified, string? Finding, string? Transaction);

/// <summary>
/// <c>sxl watch</c>'s engine. Each pass reads every posted epoch of a v2 ledger; for each standing epoch still in its
/// challenge window and not yet settled, it finds the data (by commitment) in the data directory, checks all of it
/// (<see cref="EpochChecker"/>, against every other standing epoch for duplicates) and files the first proof it finds;
/// when the data cannot be found it files a data-availability challenge naming random positions. Without a key it only
/// reports. Resumes from its state file.
/// </summary>
public sealed class EpochWatcher(ChainConnection chain, string ledger, EpochDirectory data, WatchState state, ILogger logger)
{
    /// <summary>Positions a data challenge names (the ledger's maximum).</summary>
    public const int ChallengePositions = 16;

    public async Task<IReadOnlyList<EpochReport>> RunOnceAsync(CancellationToken ct = default)
    {
        var view = await LedgerView.LoadAsync(chain, ledger, ct);
        var now = await chain.LatestBlockTimeAsync(ct);
        var standing = new List<(PostedEpochRecord Record, EpochData? Data, ulong Epoch)>();
        for (ulong e = 1; e < view.NextEpoch; e++)
        {
            var record = await LedgerView.EpochAsync(chain, ledger, e, ct);
            if (record.State is PostedEpochRecord.Posted or PostedEpochRecord.Final)
            {
                standing.Add((record, data.Find(record.Commitment), e));
            }
        }

        var spent = new Dictionary<string, SpentElsewhere>(StringComparer.Ordinal);
        foreach (var (_, d, _) in standing)
        {
            for (long i = 0; d is not null && i < d.TokenLeaves.Count; i++)
            {
                spent.TryAdd(Convert.ToHexString(d.TokenLeaves[i].Slice(22, 64)) + ":" + d.Header.Epoch, new SpentElsewhere(d, i));
            }
        }

        var reports = new List<EpochReport>();
        var fee = Convert.FromHexString(view.FeeRecipient[2..]);
        foreach (var (record, d, epoch) in standing)
        {
            if (record.State != PostedEpochRecord.Posted || now >= record.PostedAt + view.ChallengeWindow || state.IsDone(record.Commitment))
            {
                continue;
            }

            if (d is null)
            {
                reports.Add(await ChallengeAsync(epoch, record, ct));
                continue;
            }

            var (stats, finding) = EpochChecker.Check(d, view.Keys, fee, view.FeePerCredit, key => Elsewhere(spent, key, epoch, standing));
            if (finding is null)
            {
                state.Record(record.Commitment, "verified");
                logger.LogInformation("epoch {Epoch} round {Round}: {Tokens} tokens verified, nothing wrong", epoch, record.Round, stats.Tokens);
                reports.Add(new EpochReport(epoch, record.Round, "verified", stats.Tokens, stats.SignaturesVerified, null, null));
                continue;
            }

            reports.Add(await ProveAsync(epoch, record, stats, finding, ct));
        }

        return reports;
    }

    private static SpentElsewhere? Elsewhere(Dictionary<string, SpentElsewhere> spent, byte[] key, ulong epoch, List<(PostedEpochRecord Record, EpochData? Data, ulong Epoch)> standing)
    {
        var hex = Convert.ToHexString(key);
        foreach (var (_, _, other) in standing)
        {
            if (other != epoch && spent.TryGetValue(hex + ":" + other, out var found))
            {
                return found;
            }
        }

        return null;
    }

    private async Task<EpochReport> ProveAsync(ulong epoch, PostedEpochRecord record, CheckStats stats, Finding finding, CancellationToken ct)
    {
        logger.LogWarning("epoch {Epoch} round {Round}: {Kind}: {Detail}", epoch, record.Round, finding.Kind, finding.Detail);
        if (chain.Account is null)
        {
            return new EpochReport(epoch, record.Round, "fraud (no key to prove it)", stats.Tokens, stats.SignaturesVerified, finding.Kind, null);
        }

        try
        {
            var tx = await chain.SendAsync(ledger, new ProveFunction { JudgeCall = finding.JudgeCall }, ct);
            state.Record(record.Commitment, "proven");
            return new EpochReport(epoch, record.Round, "proven", stats.Tokens, stats.SignaturesVerified, finding.Kind, tx.Hash);
        }
        catch (LedgerRevertException e) when (e.ErrorName is "EpochNotStanding" or "ChallengeWindowClosed")
        {
            // Someone else froze it first, or the window closed while we checked: nothing left to do.
            state.Record(record.Commitment, "proven elsewhere");
            return new EpochReport(epoch, record.Round, "frozen by another prover", stats.Tokens, stats.SignaturesVerified, finding.Kind, null);
        }
    }

    private async Task<EpochReport> ChallengeAsync(ulong epoch, PostedEpochRecord record, CancellationToken ct)
    {
        logger.LogWarning("epoch {Epoch} round {Round}: no data matches the posted commitment", epoch, record.Round);
        if (chain.Account is null)
        {
            return new EpochReport(epoch, record.Round, "data missing (no key to challenge)", 0, 0, "unavailable", null);
        }

        // The header comes from the chain alone (the EpochPosted event of this commitment); a random sample of the
        // token tree's positions, or of the payout tree's when the epoch counted no token.
        var header = await PostedHeaderAsync(epoch, record.Commitment, ct);
        var (tree, leaves) = header.N > 0 ? ((byte)0, header.N) : ((byte)1, header.M);
        var positions = new SortedSet<uint>();
        while (positions.Count < Math.Min(ChallengePositions, (int)Math.Min(leaves, int.MaxValue)))
        {
            positions.Add((uint)RandomNumberGenerator.GetInt32((int)Math.Min(leaves, int.MaxValue)));
        }

        await EnsureAllowanceAsync(ct);
        var tx = await chain.SendAsync(ledger, new ChallengeDataFunction { Header = header, Tree = tree, Positions = [.. positions] }, ct);
        state.Record(record.Commitment, "challenged");
        return new EpochReport(epoch, record.Round, "data challenged", 0, 0, "unavailable", tx.Hash);
    }

    private async Task<EpochHeaderTuple> PostedHeaderAsync(ulong epoch, byte[] commitment, CancellationToken ct)
    {
        var posted = chain.Web3.Eth.GetEvent<EpochPostedV2Event>(ledger);
        var filter = posted.CreateFilterInput(epoch, BlockParameter.CreateEarliest(), BlockParameter.CreateLatest());
        var logs = await chain.ReadAsync(() => posted.GetAllChangesAsync(filter), ct);
        return logs.Select(l => l.Event).FirstOrDefault(e => e.Commitment.AsSpan().SequenceEqual(commitment))?.ToHeader()
            ?? throw new InvalidDataException($"epoch {epoch}: no EpochPosted event carries the posted commitment");
    }

    private async Task EnsureAllowanceAsync(CancellationToken ct)
    {
        var token = await chain.QueryAsync<LedgerTokenFunction, string>(ledger, new LedgerTokenFunction(), ct);
        var allowance = await chain.QueryAsync<Erc20AllowanceFunction, BigInteger>(token, new Erc20AllowanceFunction { Owner = chain.Address, Spender = ledger }, ct);
        var deposit = await chain.QueryAsync<DaDepositFunction, BigInteger>(ledger, new DaDepositFunction(), ct);
        if (allowance < deposit)
        {
            await chain.SendAsync(token, new Erc20ApproveFunction { Spender = ledger, Value = deposit }, ct);
        }
    }
}
