using Mediator;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using SimpleXLedger.Chain.Contracts;
using SimpleXLedger.Hosting.Pipeline;
using SimpleXLedger.Issuer.Ledger;
using SimpleXLedger.Issuer.Storage;
using SimpleXLedger.Tokens;

namespace SimpleXLedger.Issuer.Keys;

/// <summary>
/// Keeps the chain of issuing windows going: makes the next key when the current one nears its end (or at once
/// with <see cref="Force"/>, if no future key exists yet), its window starting exactly where the current one ends,
/// and with a ledger anchors every key not anchored yet. RSA key generation runs outside the write transaction.
/// </summary>
public sealed record RotateKeys(bool Force = false) : ICommand<RotateKeysResult>, ILogSummary
{
    public string LogSummary => $"force={Force}";
}

public sealed record RotateKeysResult(string? PreparedKeyId, KeyWindow? Window, int Anchored) : ILogSummary
{
    public string LogSummary => $"prepared={PreparedKeyId ?? "none"} anchored={Anchored}";
}

/// <summary>Stores a new key if its window still fits the plan (re-checked under the write lock).</summary>
public sealed record AddTokenKey(string KeyId, byte[] Spki, KeyWindow Window, bool Encrypted, bool Force)
    : ICommand<bool>, ITransactional, ILogSummary
{
    public string LogSummary => $"key={KeyId} usableFrom={Window.UsableFrom} issueUntil={Window.IssueUntil}";
}

public sealed record MarkKeyAnchored(string KeyId) : ICommand<bool>, ITransactional, ILogSummary
{
    public string LogSummary => $"key={KeyId}";
}

public sealed class RotateKeysHandler(
    IMediator mediator,
    IssuerDbContext db,
    ILedgerView ledger,
    IServiceProvider services,
    KeyFiles files,
    IssuerSettings settings,
    TimeProvider time,
    ILogger<RotateKeysHandler> logger) : ICommandHandler<RotateKeys, RotateKeysResult>
{
    /// <summary>
    /// The time a new key's window is planned from: the chain's latest block time, or this machine's clock when
    /// that is later (the last block may be old, and the anchoring block will be new). Only for planning: whether
    /// a key issues is always decided by block time.
    /// </summary>
    internal static async Task<long> PlanningTimeAsync(ILedgerView ledger, TimeProvider time, CancellationToken cancellationToken)
    {
        var blockTime = await ledger.LatestBlockTimeAsync(cancellationToken);
        return ledger.IsDevelopment ? blockTime : Math.Max(blockTime, time.GetUtcNow().ToUnixTimeSeconds());
    }

    /// <summary>How many times a key whose window the chain found too soon is replaced by a freshly planned one.</summary>
    private const int MaxReplans = 5;

    /// <summary>Seconds allowed, per attempt, for the anchoring block to come after the chain named its earliest start.</summary>
    private const long TooSoonSlackSeconds = 5;

    public async ValueTask<RotateKeysResult> Handle(RotateKeys command, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(command);
        long floor = 0;
        for (var replans = 0; ; replans++)
        {
            var (result, earliest) = await RotateOnceAsync(command, retryTooSoon: replans < MaxReplans, floor, cancellationToken);
            if (earliest is null)
            {
                return result;
            }

            // The chain's next block can be well past both its latest block and this clock (a chain whose time was
            // moved on). It said the earliest start it would take: plan from there, plus time for the block to come.
            floor = earliest.Value - (long)settings.Windows.UsableDelay.TotalSeconds + ((replans + 1) * TooSoonSlackSeconds);
        }
    }

    private async Task<(RotateKeysResult Result, long? TooSoonEarliest)> RotateOnceAsync(RotateKeys command, bool retryTooSoon, long floor, CancellationToken cancellationToken)
    {
        var now = Math.Max(await PlanningTimeAsync(ledger, time, cancellationToken), floor);
        var keys = await db.TokenKeys.AsNoTracking().ToListAsync(cancellationToken);
        var plan = KeySchedule.PlanNext(keys, now, settings.Windows, ledger.IsDevelopment, command.Force);

        string? prepared = null;
        if (plan is not null)
        {
            using var key = TokenPrivateKey.Generate();
            var spki = key.PublicKey.ExportSpki();
            var keyId = "0x" + key.PublicKey.KeyIdHex;
            files.Save(keyId, key);
            if (!await mediator.Send(new AddTokenKey(keyId, spki, plan, files.Encrypts, command.Force), cancellationToken))
            {
                files.Delete(keyId);
            }
            else
            {
                prepared = keyId;
                logger.LogInformation("token key {KeyId} prepared: usable {From}, issuing until {Until}, redeemable until {Redeem}",
                    keyId, plan.UsableFrom, plan.IssueUntil, plan.RedeemUntil);
            }
        }

        var anchored = 0;
        if (!ledger.IsDevelopment)
        {
            if (services.GetService(typeof(ILedgerWriter)) is not ILedgerWriter writer)
            {
                logger.LogInformation("no ledger writer here: new keys wait to be anchored by the serving issuer");
                return (new RotateKeysResult(prepared, prepared is null ? null : plan, 0), null);
            }

            var pending = await db.TokenKeys.AsNoTracking().Where(k => k.Anchoring == KeyAnchoring.Pending).ToListAsync(cancellationToken);
            foreach (var key in pending)
            {
                // Anchoring may have happened just before a crash: the chain is the record.
                if (await ledger.GetAnchoredKeyAsync(key.Id, cancellationToken) is null)
                {
                    try
                    {
                        await writer.AnchorKeyAsync(key.Spki, key.UsableFrom, key.IssueUntil, key.RedeemUntil, cancellationToken);
                    }
                    catch (LedgerRevertException e) when (retryTooSoon && e.ErrorName is "KeyTooSoon" or "Unknown")
                    {
                        // "Unknown": a mined revert whose reason was not recovered; the check at sending passed, so the
                        // block came later than planned (KeyTooSoon). Never anchored either way: safe to plan again.
                        // The anchoring block came later than the window was planned for (a busy machine or chain).
                        // The key was never anchored, so nobody can hold tokens under it: forget it and plan again
                        // from the chain's time now.
                        await db.TokenKeys.Where(k => k.Id == key.Id && k.Anchoring == KeyAnchoring.Pending).ExecuteDeleteAsync(cancellationToken);
                        files.Delete(key.Id);
                        logger.LogWarning("token key {KeyId} was planned too close to the anchoring block; planning it again", key.Id);
                        var blockNow = await ledger.LatestBlockTimeAsync(cancellationToken);
                        return (new RotateKeysResult(null, null, anchored), Earliest(e) ?? (Math.Max(now, blockNow) + (long)settings.Windows.UsableDelay.TotalSeconds));
                    }
                }

                await mediator.Send(new MarkKeyAnchored(key.Id), cancellationToken);
                logger.LogInformation("token key {KeyId} anchored on-chain", key.Id);
                anchored++;
            }
        }

        return (new RotateKeysResult(prepared, prepared is null ? null : plan, anchored), null);
    }

    private static long? Earliest(LedgerRevertException e) => e.Argument("earliest") switch
    {
        System.Numerics.BigInteger b => (long)b,
        ulong u => (long)u,
        long l => l,
        _ => null,
    };
}

public sealed class AddTokenKeyHandler(IssuerDbContext db, ILedgerView ledger, TimeProvider time)
    : ICommandHandler<AddTokenKey, bool>
{
    public async ValueTask<bool> Handle(AddTokenKey command, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(command);
        var now = await RotateKeysHandler.PlanningTimeAsync(ledger, time, cancellationToken);
        var keys = await db.TokenKeys.AsNoTracking().ToListAsync(cancellationToken);

        // Someone else (the server, or this command run twice) may have prepared a key meanwhile: windows never
        // overlap, and there is never more than one key waiting for its window.
        if (keys.Any(k => k.IssueUntil > command.Window.UsableFrom || k.UsableFrom > now))
        {
            return false;
        }

        db.TokenKeys.Add(new TokenKeyRow
        {
            Id = command.KeyId,
            Spki = command.Spki,
            UsableFrom = command.Window.UsableFrom,
            IssueUntil = command.Window.IssueUntil,
            RedeemUntil = command.Window.RedeemUntil,
            Anchoring = ledger.IsDevelopment ? KeyAnchoring.Local : KeyAnchoring.Pending,
            CreatedAt = time.GetUtcNow().ToUnixTimeSeconds(),
            Encrypted = command.Encrypted,
        });
        return true;
    }
}

public sealed class MarkKeyAnchoredHandler(IssuerDbContext db) : ICommandHandler<MarkKeyAnchored, bool>
{
    public async ValueTask<bool> Handle(MarkKeyAnchored command, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(command);
        return await db.TokenKeys.Where(k => k.Id == command.KeyId && k.Anchoring == KeyAnchoring.Pending)
            .ExecuteUpdateAsync(s => s.SetProperty(k => k.Anchoring, KeyAnchoring.Anchored), cancellationToken) == 1;
    }
}
