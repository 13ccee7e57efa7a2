using System.Net;
using System.Security.Cryptography;
using Google.Protobuf;
using Grpc.Core;
using Grpc.Net.Client;
using SimpleXLedger.Net;
using SimpleXLedger.Net.Tls;
using SimpleXLedger.Protos.Clearing;

namespace SimpleXLedger.Clearing.Client;

/// <summary>A batch's result: one outcome per token, in order, and the clearing house's signed receipt.</summary>
public sealed record RedeemResult(IReadOnlyList<TokenOutcome> Outcomes, SignedBatchReceipt Receipt, int Accepted, bool Replayed);

/// <summary>
/// A receipt as the clearing house signed it: EIP-712 <c>Receipt(payee, epoch, acceptedInEpoch, batchId)</c>
/// in the ledger's domain, 65-byte signature r ‖ s ‖ v.
/// </summary>
public sealed record SignedBatchReceipt(string Payee, ulong Epoch, ulong AcceptedInEpoch, byte[] BatchId, byte[] Signature);

/// <summary>
/// A connection to one clearing house: TLS pinned to the address's certificate fingerprint, one HTTP/2
/// connection, the house's identity from GetInfo, and the signed calls of clearing.proto.
/// </summary>
public sealed class ClearingClient : IDisposable
{
    public const string ErrorTrailer = "sxl-error";

    private readonly GrpcChannel _channel;
    private readonly PinnedCertificateValidator _pin;
    private readonly ClearingHouse.ClearingHouseClient _grpc;

    private ClearingClient(PinnedAddress address, GrpcChannel channel, PinnedCertificateValidator pin, Info info)
    {
        Address = address;
        _channel = channel;
        _pin = pin;
        _grpc = new ClearingHouse.ClearingHouseClient(channel);
        Info = info;
    }

    public PinnedAddress Address { get; }

    /// <summary>What GetInfo said at connect time (identity, receipts' signer, ledger, limits).</summary>
    public Info Info { get; private set; }

    public ReadOnlySpan<byte> Identity => Info.Identity.Span;

    /// <summary>The generated client, for tests that send raw requests.</summary>
    public ClearingHouse.ClearingHouseClient Grpc => _grpc;

    public static async Task<ClearingClient> ConnectAsync(PinnedAddress address, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(address);
        var pin = new PinnedCertificateValidator(address.Fingerprint);
        var handler = new SocketsHttpHandler
        {
            SslOptions = pin.ClientOptions(address.Host),
            EnableMultipleHttp2Connections = true,
            PooledConnectionIdleTimeout = Timeout.InfiniteTimeSpan,
            KeepAlivePingDelay = TimeSpan.FromSeconds(30),
            KeepAlivePingTimeout = TimeSpan.FromSeconds(20),
            ConnectTimeout = TimeSpan.FromSeconds(10),
        };
        var channel = GrpcChannel.ForAddress(address.HttpsUri, new GrpcChannelOptions
        {
            HttpHandler = handler,
            HttpVersion = HttpVersion.Version20,
            MaxReceiveMessageSize = 4 << 20,
            MaxSendMessageSize = 4 << 20,
            DisposeHttpClient = true,
        });
        try
        {
            var grpc = new ClearingHouse.ClearingHouseClient(channel);
            var info = await CallAsync(pin, () => grpc.GetInfoAsync(new GetInfoRequest(), deadline: DateTime.UtcNow.AddSeconds(15), cancellationToken: cancellationToken).ResponseAsync);
            if (info.Identity.Length != ClearingProtocol.IdentityLength)
            {
                throw new ClearingException(StatusCode.Internal, "BadInfo", "the clearing house sent a malformed identity");
            }

            return new ClearingClient(address, channel, pin, info);
        }
        catch
        {
            channel.Dispose();
            throw;
        }
    }

    public async Task<Info> RefreshInfoAsync(CancellationToken cancellationToken = default)
    {
        Info = await CallAsync(_pin, () => _grpc.GetInfoAsync(new GetInfoRequest(), deadline: DateTime.UtcNow.AddSeconds(15), cancellationToken: cancellationToken).ResponseAsync);
        return Info;
    }

    /// <summary>The text the payee signs (EIP-191) and the operator key signs (Ed25519) to register.</summary>
    public string RegistrationMessage(OperatorKey operatorKey, string payee)
    {
        ArgumentNullException.ThrowIfNull(operatorKey);
        return ClearingProtocol.RegistrationMessage(Identity, operatorKey.PublicKey, payee);
    }

    /// <summary>Registers the operator key with its payee; <paramref name="payeeSignature"/> is the payee's personal_sign of <see cref="RegistrationMessage"/>.</summary>
    public Task<OperatorRegistered> RegisterOperatorAsync(OperatorKey operatorKey, string payee, byte[] payeeSignature, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(operatorKey);
        ArgumentNullException.ThrowIfNull(payeeSignature);
        var message = System.Text.Encoding.UTF8.GetBytes(RegistrationMessage(operatorKey, payee));
        var request = new RegisterOperatorRequest
        {
            OperatorKey = ByteString.CopyFrom(operatorKey.PublicKey),
            Payee = payee,
            PayeeSignature = ByteString.CopyFrom(payeeSignature),
            OperatorSignature = ByteString.CopyFrom(operatorKey.Sign(message)),
        };
        return CallAsync(_pin, () => _grpc.RegisterOperatorAsync(request, deadline: DateTime.UtcNow.AddSeconds(30), cancellationToken: cancellationToken).ResponseAsync);
    }

    /// <summary>A new random batch id (32 bytes).</summary>
    public static byte[] NewBatchId() => RandomNumberGenerator.GetBytes(ClearingProtocol.BatchIdLength);

    /// <summary>Builds the signed request for a batch (the same bytes every retry).</summary>
    public RedeemRequest SignBatch(OperatorKey operatorKey, ReadOnlySpan<byte> batchId, ReadOnlySpan<byte> redeemerId, IReadOnlyList<ReadOnlyMemory<byte>> tokens)
    {
        ArgumentNullException.ThrowIfNull(operatorKey);
        ArgumentNullException.ThrowIfNull(tokens);
        var digest = ClearingProtocol.TokensDigest(tokens);
        var request = new RedeemRequest
        {
            BatchId = ByteString.CopyFrom(batchId),
            OperatorKey = ByteString.CopyFrom(operatorKey.PublicKey),
            RedeemerId = ByteString.CopyFrom(redeemerId),
            Signature = ByteString.CopyFrom(operatorKey.Sign(ClearingProtocol.RedeemSigningInput(Identity, batchId, redeemerId, digest))),
        };
        foreach (var token in tokens)
        {
            request.Tokens.Add(ByteString.CopyFrom(token.Span));
        }

        return request;
    }

    /// <summary>Sends a signed batch once (no retry here: the caller retries with the very same request).</summary>
    public async Task<RedeemResult> RedeemAsync(RedeemRequest request, TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        var reply = await CallAsync(_pin, () => _grpc.RedeemAsync(request, deadline: DateTime.UtcNow.Add(timeout), cancellationToken: cancellationToken).ResponseAsync);
        if (reply.Outcomes.Count != request.Tokens.Count || reply.Receipt is null || !reply.Receipt.BatchId.Span.SequenceEqual(request.BatchId.Span))
        {
            throw new ClearingException(StatusCode.Internal, "BadReply", "the clearing house's reply does not match the batch");
        }

        var r = reply.Receipt;
        return new RedeemResult(
            reply.Outcomes.ToArray(),
            new SignedBatchReceipt(r.Payee, r.Epoch, r.AcceptedInEpoch, r.BatchId.ToByteArray(), r.Signature.ToByteArray()),
            (int)reply.Accepted,
            reply.Replayed);
    }

    private static async Task<T> CallAsync<T>(PinnedCertificateValidator pin, Func<Task<T>> call)
    {
        try
        {
            return await call();
        }
        catch (RpcException e)
        {
            if (pin.Mismatched)
            {
                throw new ClearingException(StatusCode.Unavailable, "WrongCertificate", "the clearing house presented a certificate other than the address's fingerprint", e);
            }

            var reason = e.Trailers.GetValue(ErrorTrailer) ?? e.StatusCode.ToString();
            throw new ClearingException(e.StatusCode, reason, e.Status.Detail, e);
        }
    }

    public void Dispose() => _channel.Dispose();
}

/// <summary>A clearing house call failed: the gRPC status, a short reason (the <c>sxl-error</c> trailer) and a message without secrets.</summary>
public sealed class ClearingException : Exception
{
    public ClearingException()
    {
    }

    public ClearingException(string message)
        : base(message)
    {
    }

    public ClearingException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    public ClearingException(StatusCode status, string reason, string message, Exception? innerException = null)
        : base(message, innerException)
    {
        Status = status;
        Reason = reason;
    }

    public StatusCode Status { get; }

    public string Reason { get; } = string.Empty;

    /// <summary>True when nothing is known about the outcome and the very same request may be sent again.</summary>
    public bool IsTransient => Status is StatusCode.Unavailable or StatusCode.DeadlineExceeded or StatusCode.Internal or StatusCode.Unknown or StatusCode.ResourceExhausted or StatusCode.Aborted
        && Reason != "WrongCertificate";
}
