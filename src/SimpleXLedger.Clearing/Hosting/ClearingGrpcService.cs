using Google.Protobuf;
using Grpc.Core;
using Mediator;
using Microsoft.Extensions.Logging;
using SimpleXLedger.Clearing.Client;
using SimpleXLedger.Clearing.Epochs;
using SimpleXLedger.Clearing.Operators;
using SimpleXLedger.Clearing.Receipts;
using SimpleXLedger.Clearing.Redemption;
using SimpleXLedger.Clearing.Registry;
using SimpleXLedger.Hosting.Pipeline;
using SimpleXLedger.Protos.Clearing;

namespace SimpleXLedger.Clearing.Hosting;

/// <summary>clearing.proto over gRPC: thin, every call is one Mediator command; errors carry a short reason in the <c>sxl-error</c> trailer.</summary>
public sealed class ClearingGrpcService(
    IMediator mediator,
    ClearingIdentity identity,
    ClearingSettings settings,
    IKeyRegistry registry,
    EpochSchedule epochs,
    ILogger<ClearingGrpcService> logger) : ClearingHouse.ClearingHouseBase
{
    public override Task<Info> GetInfo(GetInfoRequest request, ServerCallContext context) => Task.FromResult(new Info
    {
        Identity = ByteString.CopyFrom(identity.Identity),
        ClearingHouse = identity.Address,
        Ledger = identity.Ledger,
        ChainId = identity.ChainId,
        MaxBatch = (uint)settings.MaxBatch,
        CurrentEpoch = epochs.Current?.Number ?? 0,
        EpochSeconds = settings.EpochSeconds,
        DevelopmentMode = registry.IsDevelopment,
    });

    public override async Task<OperatorRegistered> RegisterOperator(RegisterOperatorRequest request, ServerCallContext context)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(context);
        var outcome = await RunAsync(() => mediator.Send(
            new RegisterOperator(request.OperatorKey.ToByteArray(), request.Payee, request.PayeeSignature.ToByteArray(), request.OperatorSignature.ToByteArray()),
            context.CancellationToken));
        return outcome.Status switch
        {
            RegisterStatus.Registered or RegisterStatus.Replayed => new OperatorRegistered
            {
                OperatorKey = request.OperatorKey,
                Payee = outcome.Payee,
                Replayed = outcome.Status == RegisterStatus.Replayed,
            },
            RegisterStatus.BadOperatorSignature => throw Error(StatusCode.Unauthenticated, "BadOperatorSignature", "the operator signature does not verify under the operator key"),
            RegisterStatus.BadPayeeSignature => throw Error(StatusCode.Unauthenticated, "BadPayeeSignature", "the payee signature is not the payee's personal_sign of the registration text"),
            _ => throw Error(StatusCode.AlreadyExists, "OperatorKeyTaken", "this operator key is registered with another payee"),
        };
    }

    public override async Task<RedeemReply> Redeem(RedeemRequest request, ServerCallContext context)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(context);
        var tokens = new ReadOnlyMemory<byte>[request.Tokens.Count];
        for (var i = 0; i < tokens.Length; i++)
        {
            tokens[i] = request.Tokens[i].Memory;
        }

        var outcome = await RunAsync(() => mediator.Send(
            new RedeemBatch(request.BatchId.ToByteArray(), request.OperatorKey.ToByteArray(), request.RedeemerId.ToByteArray(), tokens, request.Signature.ToByteArray()),
            context.CancellationToken));
        switch (outcome.Status)
        {
            case RedeemStatus.Recorded or RedeemStatus.Replayed:
                var receipt = outcome.Receipt!;
                var reply = new RedeemReply
                {
                    Accepted = (uint)outcome.Accepted,
                    Replayed = outcome.Status == RedeemStatus.Replayed,
                    Receipt = new Protos.Clearing.Receipt
                    {
                        Payee = receipt.Receipt.Payee,
                        Epoch = receipt.Receipt.Epoch,
                        AcceptedInEpoch = receipt.Receipt.AcceptedInEpoch,
                        BatchId = ByteString.CopyFrom(receipt.Receipt.BatchId),
                        Signature = ByteString.CopyFrom(receipt.Signature),
                    },
                };
                foreach (var o in outcome.Outcomes)
                {
                    reply.Outcomes.Add((TokenOutcome)(int)o);
                }

                return reply;
            case RedeemStatus.UnknownOperator:
                throw Error(StatusCode.Unauthenticated, "UnknownOperator", "this operator key is not registered");
            case RedeemStatus.BadSignature:
                throw Error(StatusCode.Unauthenticated, "BadSignature", "the batch signature does not verify under the operator key");
            case RedeemStatus.BatchIdReused:
                throw Error(StatusCode.AlreadyExists, "BatchIdReused", "this batch id was used for another batch");
            default:
                throw Error(StatusCode.InvalidArgument, "TooManyTokens", $"a batch has at most {settings.MaxBatch} tokens");
        }
    }

    private async Task<T> RunAsync<T>(Func<ValueTask<T>> call)
    {
        try
        {
            return await call();
        }
        catch (CommandValidationException e)
        {
            throw Error(StatusCode.InvalidArgument, "BadRequest", e.Message);
        }
        catch (RegistryUnavailableException e)
        {
            logger.LogWarning("registry unavailable: {Message}", e.Message);
            throw Error(StatusCode.Unavailable, "RegistryUnavailable", "the ledger's key registry cannot be read now; nothing was recorded");
        }
        catch (NoOpenEpochException)
        {
            throw Error(StatusCode.Unavailable, "NoOpenEpoch", "no epoch is open right now; retry");
        }
        catch (Exception e) when (e is System.Data.Common.DbException or Microsoft.EntityFrameworkCore.DbUpdateException or TimeoutException)
        {
            // The transaction did not commit: nothing was recorded, the same request may be retried.
            logger.LogError("storage failed: {Error}: {Message}", e.GetType().Name, e.Message);
            throw Error(StatusCode.Unavailable, "StorageUnavailable", "storage failed; nothing was recorded");
        }
    }

    private static RpcException Error(StatusCode code, string reason, string message) =>
        new(new Status(code, message), new Metadata { { ClearingClient.ErrorTrailer, reason } });
}
