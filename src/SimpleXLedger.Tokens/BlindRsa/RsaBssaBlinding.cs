using System.Security.Cryptography;

namespace SimpleXLedger.Tokens.BlindRsa;

/// <summary>
/// The output of Blind: the blinded message to send to the signer, and the secret inverse kept for Finalize.
/// Dispose it once finalized; the inverse is held in pinned memory and zeroed on dispose.
/// </summary>
public sealed class RsaBssaBlinding : IDisposable
{
    private readonly byte[] _inverse;
    private readonly byte[] _blindedMessage;
    private bool _disposed;

    internal RsaBssaBlinding(byte[] blindedMessage, byte[] inverse)
    {
        _blindedMessage = blindedMessage;
        _inverse = inverse;
    }

    /// <summary>blinded_msg, modulus_len bytes: what the signer sees.</summary>
    public ReadOnlySpan<byte> BlindedMessage => _blindedMessage;

    internal ReadOnlySpan<byte> Inverse
    {
        get
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            return _inverse;
        }
    }

    /// <summary>Restores a blinding from its exported parts (for a client that must finalize after a restart).</summary>
    internal static RsaBssaBlinding FromParts(ReadOnlySpan<byte> blindedMessage, ReadOnlySpan<byte> inverse)
    {
        var inv = GC.AllocateArray<byte>(inverse.Length, pinned: true);
        inverse.CopyTo(inv);
        return new RsaBssaBlinding(blindedMessage.ToArray(), inv);
    }

    public void Dispose()
    {
        if (!_disposed)
        {
            CryptographicOperations.ZeroMemory(_inverse);
            _disposed = true;
        }
    }
}
