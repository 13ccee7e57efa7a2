using Google.Protobuf;
using Grpc.Core;
using Mediator;
using SimpleXLedger.Cards;
using SimpleXLedger.Hosting.Pipeline;
using SimpleXLedger.Issuer.Cards;
using SimpleXLedger.Issuer.Issuance;
using SimpleXLedger.Issuer.Keys;
using SimpleXLedger.Issuer.Ledger;
using Proto = SimpleXLedger.Protos.Issuer;

namespace SimpleXLedger.Issuer.Hosting;

/// <summary>The gRPC face of the issuer: reads the card code, holds off guessers, and delegates to the commands.</summary>
public sealed class IssuerGrpcService(
    IMediator mediator,
    WrongCodeLimiter limiter,
    IssuingKeyDirectory directory,
    IssuerSettings settings,
    ILedgerView ledger) : Proto.Issuer.IssuerBase
{
    public override async Task<Proto.RedeemReply> Redeem(Proto.RedeemRequest request, ServerCallContext context)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(context);
        var code = ReadCode(request.CardCode, context);
        var command = new RedeemGiftCard(code, request.RequestId.ToByteArray(), [.. request.TokenRequests.Select(r => r.ToByteArray())]);
        RedeemOutcome outcome;
        try
        {
            outcome = await mediator.Send(command, context.CancellationToken);
        }
        catch (CommandValidationException e)
        {
            throw Fail(StatusCode.InvalidArgument, "BadRequest", e.Message, context);
        }

        if (outcome.Status == RedeemStatus.UnknownCard)
        {
            limiter.RecordWrong(ClientAddress.Of(context.GetHttpContext()));
        }

        if (!outcome.Succeeded)
        {
            throw Fail(StatusOf(outcome.Status), outcome.Status.ToString(), RedeemOutcome.Reason(outcome.Status), context);
        }

        var reply = new Proto.RedeemReply
        {
            RemainingCredits = (ulong)Math.Max(0, outcome.RemainingCredits),
            Replayed = outcome.Status == RedeemStatus.Replayed,
        };
        reply.TokenResponses.AddRange(outcome.Responses.Select(ByteString.CopyFrom));
        return reply;
    }

    public override async Task<Proto.CardInfo> GetCard(Proto.GetCardRequest request, ServerCallContext context)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(context);
        var code = ReadCode(request.CardCode, context);
        var info = await mediator.Send(new GetCardInfo(code.ComputeHash()), context.CancellationToken);
        if (info is null)
        {
            limiter.RecordWrong(ClientAddress.Of(context.GetHttpContext()));
            throw Fail(StatusCode.Unauthenticated, nameof(RedeemStatus.UnknownCard), RedeemOutcome.Reason(RedeemStatus.UnknownCard), context);
        }

        return new Proto.CardInfo
        {
            State = info.State switch
            {
                CardState.AwaitingFunding => Proto.CardInfo.Types.State.AwaitingFunding,
                CardState.Active => Proto.CardInfo.Types.State.Active,
                CardState.PartlyRedeemed => Proto.CardInfo.Types.State.PartlyRedeemed,
                CardState.Spent => Proto.CardInfo.Types.State.Spent,
                CardState.Revoked => Proto.CardInfo.Types.State.Revoked,
                CardState.Expired => Proto.CardInfo.Types.State.Expired,
                _ => Proto.CardInfo.Types.State.Unspecified,
            },
            Credits = (ulong)info.Credits,
            RemainingCredits = (ulong)Math.Max(0, info.Remaining),
            ExpiresAt = info.ExpiresAt,
        };
    }

    public override async Task<Proto.Directory> GetDirectory(Proto.GetDirectoryRequest request, ServerCallContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var key = await directory.CurrentAsync(context.CancellationToken)
            ?? throw Fail(StatusCode.Unavailable, nameof(RedeemStatus.NoIssuingKey), RedeemOutcome.Reason(RedeemStatus.NoIssuingKey), context);
        return new Proto.Directory
        {
            IssuerName = settings.Name,
            TokenKey = ByteString.CopyFrom(key.Spki),
            TokenKeyId = ByteString.CopyFrom(Convert.FromHexString(key.Id[2..])),
            NotBefore = key.UsableFrom,
            IssueUntil = key.IssueUntil,
            RedeemUntil = key.RedeemUntil,
            MaxBatch = (uint)settings.MaxBatch,
            Denomination = settings.DenominationFor(ledger.IsDevelopment),
            DevelopmentMode = ledger.IsDevelopment,
        };
    }

    /// <summary>Rate limit first, then the check symbol: a malformed code never reaches the database.</summary>
    private CardCode ReadCode(string text, ServerCallContext context)
    {
        var client = ClientAddress.Of(context.GetHttpContext());
        if (!limiter.MayTry(client))
        {
            throw Fail(StatusCode.ResourceExhausted, "TooManyWrongCodes", "too many wrong card codes; try again later", context);
        }

        if (!CardCode.TryParse(text, out var code, out var error))
        {
            limiter.RecordWrong(client);
            throw Fail(StatusCode.InvalidArgument, "MalformedCardCode", CardCodeFormatException.Describe(error), context);
        }

        return code;
    }

    private static StatusCode StatusOf(RedeemStatus status) => status switch
    {
        RedeemStatus.UnknownCard => StatusCode.Unauthenticated,
        RedeemStatus.Unfunded or RedeemStatus.Spent or RedeemStatus.InsufficientCredits or RedeemStatus.Revoked or RedeemStatus.Expired => StatusCode.FailedPrecondition,
        RedeemStatus.RequestIdReused => StatusCode.AlreadyExists,
        RedeemStatus.NoIssuingKey => StatusCode.Unavailable,
        _ => StatusCode.InvalidArgument,
    };

    private static RpcException Fail(StatusCode code, string reason, string detail, ServerCallContext context)
    {
        _ = context;
        return new RpcException(new Status(code, detail), new Metadata { { "sxl-error", reason } });
    }
}
