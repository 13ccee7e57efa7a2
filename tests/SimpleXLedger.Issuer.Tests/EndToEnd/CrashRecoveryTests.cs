using System.Security.Cryptography;
using Google.Protobuf;
using Grpc.Core;
using Grpc.Net.Client;
using SimpleXLedger.Cards;
using SimpleXLedger.Issuer.Issuance;
using SimpleXLedger.Net.Crash;
using SimpleXLedger.Net.Tls;
using SimpleXLedger.Protos.Issuer;
using SimpleXLedger.Testing;
using SimpleXLedger.Tokens;
using IssuerClient = SimpleXLedger.Protos.Issuer.Issuer.IssuerClient;

namespace SimpleXLedger.Issuer.Tests.EndToEnd;

public sealed class CrashRecoveryTests : IDisposable
{
    private readonly DirectoryInfo _root = System.IO.Directory.CreateTempSubdirectory("sxl-issuer-crash-");

    public void Dispose() => _root.Delete(recursive: true);

    [Fact]
    public async Task Killed_between_debit_and_reply_the_issuer_answers_the_retry_with_the_same_signatures_and_one_debit()
    {
        var data = Path.Combine(_root.FullName, "data");
        var created = await Sxl.RunAsync("issuer", "cards", "create", "--data", data, "--vendor", "dev", "--value", "10", "--count", "1");
        Assert.True(created.ExitCode == 0, created.Stderr);
        var code = CardCode.Parse(Assert.Single(created.Stdout));
        string[] serve = ["issuer", "serve", "--data", data, "--name", "issuer.test", "--http", $"127.0.0.1:{FreePort.Next()}", "--grpc", $"127.0.0.1:{FreePort.Next()}", "--devnet", "--tls"];

        // First life: armed to die right after the debit is committed.
        TokenPublicKey key;
        var requestId = RandomNumberGenerator.GetBytes(16);
        List<TokenRequestState> states;
        await using (var doomed = Sxl.Start(serve, new Dictionary<string, string?> { [CrashPoint.EnvironmentVariable] = RedeemGiftCardHandler.CrashAfterDebit }))
        {
            var ready = await doomed.WaitForLineAsync(l => l.StartsWith("issuer ready", StringComparison.Ordinal), TimeSpan.FromSeconds(60));
            using var channel = Channel(ready, data);
            var client = new IssuerClient(channel);
            key = TokenPublicKey.FromSpki((await client.GetDirectoryAsync(new GetDirectoryRequest())).TokenKey.Span);
            states = [.. Enumerable.Range(0, 4).Select(_ => TokenClient.CreateRequest(key, TokenChallenge.ForNetwork("issuer.test")))];

            var lost = await Assert.ThrowsAsync<RpcException>(() => client.RedeemAsync(Request(code, requestId, states)).ResponseAsync);
            Assert.Equal(StatusCode.Unavailable, lost.StatusCode);
            await doomed.WaitForExitAsync(TimeSpan.FromSeconds(30));
            Assert.NotEqual(0, doomed.ExitCode);
        }

        // Second life: the retry is answered from the committed debit.
        await using var revived = Sxl.Start(serve);
        var readyAgain = await revived.WaitForLineAsync(l => l.StartsWith("issuer ready", StringComparison.Ordinal), TimeSpan.FromSeconds(60));
        using var channelAgain = Channel(readyAgain, data);
        var clientAgain = new IssuerClient(channelAgain);

        var retry = await clientAgain.RedeemAsync(Request(code, requestId, states));
        var retryAgain = await clientAgain.RedeemAsync(Request(code, requestId, states));

        Assert.True(retry.Replayed);
        Assert.Equal(6UL, retry.RemainingCredits);
        Assert.Equal(retry.TokenResponses, retryAgain.TokenResponses);
        var card = await clientAgain.GetCardAsync(new GetCardRequest { CardCode = code.Reveal() });
        Assert.Equal(6UL, card.RemainingCredits);

        // The very signatures the first life would have sent: signing is deterministic under the key on disk.
        using var privateKey = TokenPrivateKey.Load(Path.Combine(data, "keys", key.KeyIdHex + ".pem"));
        for (var i = 0; i < states.Count; i++)
        {
            Assert.Equal(TokenIssuer.Issue(privateKey, states[i].Request).ToArray(), retry.TokenResponses[i].ToByteArray());
            var token = TokenClient.Finalize(states[i], TokenResponse.Parse(retry.TokenResponses[i].Span));
            Assert.True(TokenVerifier.Verify(key, token, TokenChallenge.ForNetwork("issuer.test")));
        }
    }

    private static RedeemRequest Request(CardCode code, byte[] requestId, IEnumerable<TokenRequestState> states)
    {
        var request = new RedeemRequest { CardCode = code.Reveal(), RequestId = ByteString.CopyFrom(requestId) };
        request.TokenRequests.AddRange(states.Select(s => ByteString.CopyFrom(s.Request.ToArray())));
        return request;
    }

    /// <summary>A channel to the grpc= URL of the ready line, pinned to the certificate in the data directory.</summary>
    private static GrpcChannel Channel(string readyLine, string data)
    {
        var url = readyLine.Split(' ').Single(p => p.StartsWith("grpc=", StringComparison.Ordinal))[5..];
        using var certificate = SelfSignedCertificate.LoadOrCreate(data, "issuer.test");
        var fingerprint = CertificateFingerprint.Sha256(certificate);
        return GrpcChannel.ForAddress(url, new GrpcChannelOptions
        {
            HttpHandler = new SocketsHttpHandler
            {
                SslOptions = new System.Net.Security.SslClientAuthenticationOptions
                {
                    RemoteCertificateValidationCallback = (_, c, _, _) => CertificateFingerprint.Matches(c, fingerprint),
                },
            },
        });
    }
}
