using Grpc.Core;
using SimpleXLedger.Protos.Turn;

namespace SimpleXLedger.Turn;

/// <summary>The gRPC face of <see cref="TurnCredentialIssuer"/>: requests in, typed refusals out (status and <c>sxl-error</c>).</summary>
internal sealed class TurnGrpcService(TurnCredentialIssuer issuer) : Protos.Turn.Turn.TurnBase
{
    public override Task<TurnInfo> Info(TurnInfoRequest request, ServerCallContext context)
    {
        var o = issuer.Options;
        var info = new TurnInfo
        {
            Realm = o.Realm,
            CreditsPerBlock = o.CreditsPerBlock,
            BlockMinutes = o.BlockMinutes,
            MaxAllocateLifetimeSeconds = (long)o.MaxAllocateLifetime.TotalSeconds,
            SecondsPerToken = o.SecondsPerToken,
        };
        info.Urls.AddRange(o.TurnUrls);
        return Task.FromResult(info);
    }

    public override async Task<TurnCredentials> Buy(BuyRequest request, ServerCallContext context)
    {
        try
        {
            var issued = await issuer.BuyAsync(request.Token.Memory, context.CancellationToken);
            var reply = new TurnCredentials
            {
                Username = issued.Username,
                Credential = issued.Password,
                Expires = issued.Expires.ToUnixTimeSeconds(),
                PaidSeconds = issued.PaidSeconds,
                Realm = issuer.Options.Realm,
            };
            reply.Urls.AddRange(issuer.Options.TurnUrls);
            return reply;
        }
        catch (TurnRefusedException e)
        {
            var status = e.Code switch
            {
                TurnErrorCode.BadRequest => StatusCode.InvalidArgument,
                TurnErrorCode.RetryLater => StatusCode.Unavailable,
                _ => StatusCode.PermissionDenied,
            };
            throw new RpcException(new Status(status, e.Message), new Metadata { { "sxl-error", e.Code.ToString() } });
        }
    }
}
