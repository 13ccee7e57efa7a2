using System.Net;
using Google.Protobuf;
using Grpc.Core;
using Grpc.Net.Client;
using SimpleXLedger.Net;
using SimpleXLedger.Net.Tls;
using SimpleXLedger.Protos.Turn;
using GrpcTurn = SimpleXLedger.Protos.Turn.Turn;

namespace SimpleXLedger.Turn.Client;

/// <summary>
/// A connection to one TURN credential service, TLS pinned to the address's fingerprint. Wallets open a fresh one
/// per payment (nothing but the token travels on it), so two purchases share no connection.
/// </summary>
public sealed class TurnClient : IDisposable
{
    /// <summary>The trailer naming the <see cref="TurnErrorCode"/> of a refusal.</summary>
    public const string ErrorTrailer = "sxl-error";

    private readonly GrpcChannel _channel;
    private readonly PinnedCertificateValidator _pin;
    private readonly GrpcTurn.TurnClient _grpc;

    private TurnClient(PinnedAddress address, GrpcChannel channel, PinnedCertificateValidator pin)
    {
        Address = address;
        _channel = channel;
        _pin = pin;
        _grpc = new GrpcTurn.TurnClient(channel);
    }

    public PinnedAddress Address { get; }

    /// <summary>The generated client, for tests that send raw requests.</summary>
    public GrpcTurn.TurnClient Grpc => _grpc;

    public static TurnClient Connect(PinnedAddress address)
    {
        ArgumentNullException.ThrowIfNull(address);
        var pin = new PinnedCertificateValidator(address.Fingerprint);
        var handler = new SocketsHttpHandler
        {
            SslOptions = pin.ClientOptions(address.Host),
            EnableMultipleHttp2Connections = false,
            ConnectTimeout = TimeSpan.FromSeconds(15),
        };
        var channel = GrpcChannel.ForAddress(address.HttpsUri, new GrpcChannelOptions
        {
            HttpHandler = handler,
            HttpVersion = HttpVersion.Version20,
            MaxReceiveMessageSize = 64 * 1024,
            DisposeHttpClient = true,
        });
        return new TurnClient(address, channel, pin);
    }

    public async Task<TurnInfo> InfoAsync(CancellationToken cancellationToken = default)
    {
        try
        {
            return await _grpc.InfoAsync(new TurnInfoRequest(), deadline: DateTime.UtcNow.AddSeconds(30), cancellationToken: cancellationToken);
        }
        catch (RpcException e)
        {
            throw Translate(e);
        }
    }

    /// <summary>Pays with one token; a refusal throws <see cref="TurnServiceException"/> with its code.</summary>
    public async Task<TurnCredentials> BuyAsync(ReadOnlyMemory<byte> token, CancellationToken cancellationToken = default)
    {
        try
        {
            return await _grpc.BuyAsync(new BuyRequest { Token = ByteString.CopyFrom(token.Span) }, deadline: DateTime.UtcNow.AddSeconds(30), cancellationToken: cancellationToken);
        }
        catch (RpcException e)
        {
            throw Translate(e);
        }
    }

    private Exception Translate(RpcException e)
    {
        if (_pin.Mismatched)
        {
            return new TurnServiceException(TurnErrorCode.Unspecified, "the service's certificate does not match the pinned fingerprint", certificateMismatch: true, e);
        }

        var code = e.Trailers.GetValue(ErrorTrailer);
        if (code is not null && Enum.TryParse<TurnErrorCode>(code, out var parsed))
        {
            return new TurnServiceException(parsed, e.Status.Detail, certificateMismatch: false, e);
        }

        // No typed answer: the service could not be reached or did not answer (the token's fate is unknown).
        return new TurnServiceException(TurnErrorCode.Unspecified, $"the TURN service did not answer ({e.StatusCode})", certificateMismatch: false, e);
    }

    public void Dispose() => _channel.Dispose();
}

/// <summary>A refusal (or no answer) from the TURN credential service.</summary>
public sealed class TurnServiceException : Exception
{
    public TurnServiceException()
    {
    }

    public TurnServiceException(string message)
        : base(message)
    {
    }

    public TurnServiceException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    public TurnServiceException(TurnErrorCode code, string message, bool certificateMismatch, Exception? innerException)
        : base(message, innerException)
    {
        Code = code;
        CertificateMismatch = certificateMismatch;
    }

    /// <summary>The typed refusal; <see cref="TurnErrorCode.Unspecified"/> when there was no typed answer.</summary>
    public TurnErrorCode Code { get; }

    public bool CertificateMismatch { get; }

    /// <summary>The token is spent for good (by this payment's refusal): a wallet drops it.</summary>
    public bool TokenSpent => Code == TurnErrorCode.TokenSpent;
}
