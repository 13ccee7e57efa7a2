using System.Security.Cryptography;
using SimpleXLedger.Clearing.Registry;
using SimpleXLedger.Tokens;
using SimpleXLedger.Tokens.BlindRsa;

namespace SimpleXLedger.Clearing.Redemption;

/// <summary>A token that passed every check but the spent-set: its position in the batch, key and nonce.</summary>
public sealed record Candidate(int Index, RegisteredKey Key, byte[] Nonce)
{
    /// <summary>The key's short number in the spent-set (set once the key's row exists).</summary>
    public int KeyNo { get; set; }
}

/// <summary>
/// The checks a token passes before the spent-set sees it: strict RFC 9577 parse (type 2, 354 bytes), its key
/// in the registry and redeemable at the registry's time, the network challenge (when an issuer name is
/// configured), and the RSA-PSS authenticator. Pure and thread-safe; large batches use every core.
/// </summary>
public static class TokenChecks
{
    private const int ParallelThreshold = 8;

    public static TokenOutcomeCode[] Check(IReadOnlyList<ReadOnlyMemory<byte>> tokens, RegistrySnapshot snapshot, TokenChallenge? challenge, out List<Candidate> candidates)
    {
        ArgumentNullException.ThrowIfNull(tokens);
        ArgumentNullException.ThrowIfNull(snapshot);
        var outcomes = new TokenOutcomeCode[tokens.Count];
        var found = new Candidate?[tokens.Count];
        var digest = challenge?.Digest.ToArray();

        void CheckOne(int i)
        {
            (outcomes[i], found[i]) = CheckToken(i, tokens[i].Span, snapshot, digest);
        }

        if (tokens.Count >= ParallelThreshold && Environment.ProcessorCount > 1)
        {
            // Chunks of consecutive tokens per worker: one RSA verify is ~tens of microseconds.
            var chunk = Math.Max(4, tokens.Count / (Environment.ProcessorCount * 4));
            Parallel.For(0, (tokens.Count + chunk - 1) / chunk, new ParallelOptions { MaxDegreeOfParallelism = Environment.ProcessorCount }, c =>
            {
                var end = Math.Min(tokens.Count, (c + 1) * chunk);
                for (var i = c * chunk; i < end; i++)
                {
                    CheckOne(i);
                }
            });
        }
        else
        {
            for (var i = 0; i < tokens.Count; i++)
            {
                CheckOne(i);
            }
        }

        candidates = new List<Candidate>(tokens.Count);
        foreach (var c in found)
        {
            if (c is not null)
            {
                candidates.Add(c);
            }
        }

        return outcomes;
    }

    private static (TokenOutcomeCode, Candidate?) CheckToken(int index, ReadOnlySpan<byte> encoded, RegistrySnapshot snapshot, byte[]? challengeDigest)
    {
        if (!Token.TryParse(encoded, out var token, out _))
        {
            return (TokenOutcomeCode.Malformed, null);
        }

        var key = snapshot.Find(token.TokenKeyId);
        if (key is null)
        {
            return (TokenOutcomeCode.UnknownKey, null);
        }

        if (!key.RedeemableAt(snapshot.Now))
        {
            return (TokenOutcomeCode.KeyNotRedeemable, null);
        }

        if (challengeDigest is not null && !CryptographicOperations.FixedTimeEquals(token.ChallengeDigest, challengeDigest))
        {
            return (TokenOutcomeCode.InvalidSignature, null);
        }

        if (!RsaBssa.Sha384PssDeterministic.Verify(key.PublicKey.RsaKey, token.AuthenticatorInput, token.Authenticator))
        {
            return (TokenOutcomeCode.InvalidSignature, null);
        }

        return (TokenOutcomeCode.Accepted, new Candidate(index, key, token.Nonce.ToArray()));
    }
}
