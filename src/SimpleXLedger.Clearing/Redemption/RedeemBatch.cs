using System.Security.Cryptography;
using Mediator;
using Microsoft.EntityFrameworkCore;
using SimpleXLedger.Chain.Receipts;
using SimpleXLedger.Clearing.Client;
using SimpleXLedger.Clearing.Epochs;
using SimpleXLedger.Clearing.Operators;
using SimpleXLedger.Clearing.Receipts;
using SimpleXLedger.Clearing.Registry;
using SimpleXLedger.Clearing.Storage;
using SimpleXLedger.Hosting.Pipeline;
using SimpleXLedger.Net.Crash;
using SimpleXLedger.Tokens;

namespace SimpleXLedger.Clearing.Redemption;

public enum RedeemStatus
{
    /// <summary>Answered now: recorded, or (when it accepted nothing) worked out and left unrecorded.</summary>
    Recorded,

    /// <summary>A retry of a recorded batch: the same outcomes and receipt, nothing counted again.</summary>
    Replayed,

    UnknownOperator,
    BadSignature,

    /// <summary>The batch id was used for another body (or by another operator or relay).</summary>
    BatchIdReused,

    TooManyTokens,
}

/// <summary>A batch's answer: outcomes in token order and the signed receipt (absent when refused as a whole).</summary>
public sealed record RedeemBatchOutcome(RedeemStatus Status, IReadOnlyList<TokenOutcomeCode> Outcomes, SignedReceipt? Receipt, int Accepted) : ILogSummary
{
    public string LogSummary => Receipt is null ? Status.ToString() : $"{Status} accepted={Accepted}/{Outcomes.Count} epoch={Receipt.Receipt.Epoch} inEpoch={Receipt.Receipt.AcceptedInEpoch}";

    public static RedeemBatchOutcome Refused(RedeemStatus status) => new(status, [], null, 0);
}

/// <summary>
/// A relay's batch of tokens, signed by its operator key: authenticate, verify every token against the registry
/// (outside any transaction, on every core), record the batch (<see cref="RecordBatch"/>; a used batch id comes
/// back as stored, so a retry gets the same outcomes and receipt; a batch that accepted nothing is not stored and a
/// retry of it is worked out again), then sign its receipt. The only state change
/// is RecordBatch's transaction (on SQLite shared with the other batches waiting for the writer: <see cref="SqliteGroupCommit"/>).
/// </summary>
public sealed record RedeemBatch(byte[] BatchId, byte[] OperatorKey, byte[] RedeemerId, IReadOnlyList<ReadOnlyMemory<byte>> Tokens, byte[] Signature)
    : ICommand<RedeemBatchOutcome>, IValidated, ILogSummary
{
    public string LogSummary => $"batch={Convert.ToHexStringLower((BatchId ?? []).AsSpan(0, Math.Min(8, BatchId?.Length ?? 0)))} tokens={Tokens?.Count ?? 0}";

    public string? Validate()
    {
        if (BatchId is not { Length: ClearingProtocol.BatchIdLength })
        {
            return "a batch id is 32 bytes";
        }

        if (OperatorKey is not { Length: ClearingProtocol.OperatorKeyLength })
        {
            return "an operator key is 32 bytes";
        }

        if (RedeemerId is not { Length: ClearingProtocol.RedeemerIdLength })
        {
            return "a redeemer id is 16 bytes";
        }

        if (Signature is not { Length: ClearingProtocol.OperatorSignatureLength })
        {
            return "the batch signature is 64 bytes (Ed25519)";
        }

        if (Tokens is not { Count: > 0 })
        {
            return "a batch has at least one token";
        }

        return Tokens.Any(t => t.Length > ushort.MaxValue) ? "a token is at most 65535 bytes" : null;
    }
}

public sealed class RedeemBatchHandler(
    IMediator mediator,
    ClearingSettings settings,
    ClearingIdentity identity,
    IKeyRegistry registry,
    OperatorDirectory operators,
    KeyNumbers keyNumbers,
    EpochSchedule epochs,
    ClearingDatabase database,
    SqliteGroupCommit groupCommit,
    ClearingMetrics metrics)
    : ICommandHandler<RedeemBatch, RedeemBatchOutcome>
{
    /// <summary>Where the crash test stops the process: the batch is committed, no reply was sent.</summary>
    public const string CrashAfterRecord = "clearing.batch.after-record";

    private readonly TokenChallenge? _challenge = settings.IssuerName is { } name ? TokenChallenge.ForNetwork(name) : null;

    public async ValueTask<RedeemBatchOutcome> Handle(RedeemBatch command, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(command);
        if (command.Tokens.Count > settings.MaxBatch)
        {
            return RedeemBatchOutcome.Refused(RedeemStatus.TooManyTokens);
        }

        var op = await operators.FindAsync(command.OperatorKey, cancellationToken);
        if (op is null)
        {
            return RedeemBatchOutcome.Refused(RedeemStatus.UnknownOperator);
        }

        var digest = ClearingProtocol.TokensDigest(command.Tokens);
        var signed = ClearingProtocol.RedeemSigningInput(identity.Identity, command.BatchId, command.RedeemerId, digest);
        if (!OperatorKey.Verify(op.PublicKey, signed, command.Signature))
        {
            return RedeemBatchOutcome.Refused(RedeemStatus.BadSignature);
        }

        RegistrySnapshot snapshot;
        try
        {
            snapshot = await registry.GetSnapshotAsync(cancellationToken);
        }
        catch (RegistryUnavailableException)
        {
            // The chain cannot be read; a retry of a recorded batch needs nothing from it.
            return await FindRecordedAsync(command.BatchId, cancellationToken) is { } recorded
                ? Answer(recorded, op, command, digest)
                : throw new RegistryUnavailableException("the ledger's key registry cannot be read now");
        }

        var outcomes = TokenChecks.Check(command.Tokens, snapshot, _challenge, out var candidates);
        await keyNumbers.AssignAsync(candidates, cancellationToken);
        await epochs.EnsureOpenAsync(snapshot.Now, cancellationToken);

        // SQLite has one writer: batches waiting for it are recorded together. PostgreSQL records concurrently.
        var recordBatch = new RecordBatch(command.BatchId, op.Id, op.Payee, command.RedeemerId, digest, outcomes, candidates, snapshot.Now)
        {
            Allowance = settings.AnchoringAllowance,
        };
        var record = database.Provider == DatabaseProvider.Sqlite
            ? await groupCommit.RecordAsync(recordBatch, cancellationToken)
            : await mediator.Send(recordBatch, cancellationToken);
        if (record.Existing)
        {
            // A retry (or a concurrent call with the same id): answered from the stored batch, nothing counted again.
            return Answer(record, op, command, digest);
        }

        CrashPoint.Reach(CrashAfterRecord);
        var outcome = new RedeemBatchOutcome(RedeemStatus.Recorded, record.Outcomes, Sign(record, command.BatchId), record.Accepted);
        metrics.Batch(record.Outcomes, replayed: false);
        return outcome;
    }

    private RedeemBatchOutcome Answer(BatchRecord earlier, OperatorInfo op, RedeemBatch command, byte[] digest)
    {
        var same = earlier.OperatorId == op.Id
            && CryptographicOperations.FixedTimeEquals(earlier.RedeemerId, command.RedeemerId)
            && CryptographicOperations.FixedTimeEquals(earlier.TokensDigest, digest);
        if (!same)
        {
            return RedeemBatchOutcome.Refused(RedeemStatus.BatchIdReused);
        }

        metrics.Batch(earlier.Outcomes, replayed: true);
        return new RedeemBatchOutcome(RedeemStatus.Replayed, earlier.Outcomes, Sign(earlier, command.BatchId), earlier.Accepted);
    }

    private SignedReceipt Sign(BatchRecord record, byte[] batchId) =>
        identity.Sign(new Receipt(record.Payee, record.Epoch, record.AcceptedInEpoch, batchId));

    private async Task<BatchRecord?> FindRecordedAsync(byte[] batchId, CancellationToken ct)
    {
        await using var db = database.CreateContext();
        var connection = db.Database.GetDbConnection();
        await connection.OpenAsync(ct);
        return await RecordBatchHandler.LoadExistingAsync(connection, null, batchId, ct);
    }
}
