using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Microsoft.Extensions.Logging;

namespace SimpleXLedger.Hosting.Startup;

/// <summary>
/// A TLS certificate from PEM files (certificate chain and private key, as certbot writes them) that follows the files
/// without a restart: reread on SIGHUP and by polling their contents (certbot renews by moving symlinks, which file
/// watchers miss). Kestrel asks <see cref="Current"/> for each new handshake (its <c>ServerCertificateSelector</c>).
/// A file that does not load keeps the certificate in use, with a warning.
/// </summary>
public sealed class ReloadingPemCertificate : IDisposable
{
    private readonly string _certificatePath;
    private readonly string _keyPath;
    private readonly ILogger? _logger;
    private readonly CancellationTokenSource _stopping = new();
    private readonly PosixSignalRegistration? _sighup;
    private readonly Task _polling;
    private readonly Lock _gate = new();
    private X509Certificate2 _current;
    private byte[] _contentHash;

    public ReloadingPemCertificate(string certificatePath, string keyPath, TimeSpan pollInterval, bool reloadOnSighup, TimeProvider? time = null, ILogger? logger = null)
    {
        _certificatePath = certificatePath;
        _keyPath = keyPath;
        _logger = logger;
        (_current, _contentHash) = Load();
        if (reloadOnSighup && !OperatingSystem.IsWindows())
        {
            _sighup = PosixSignalRegistration.Create(PosixSignal.SIGHUP, context =>
            {
                context.Cancel = true;
                Reload();
            });
        }

        _polling = pollInterval > TimeSpan.Zero ? PollAsync(pollInterval, time ?? TimeProvider.System) : Task.CompletedTask;
    }

    /// <summary>Raised after a new certificate replaced the old one.</summary>
    public event EventHandler<X509Certificate2>? Reloaded;

    public X509Certificate2 Current
    {
        get
        {
            lock (_gate)
            {
                return _current;
            }
        }
    }

    /// <summary>Rereads the files; true when their contents changed and the new certificate is now in use.</summary>
    public bool Reload()
    {
        X509Certificate2 loaded;
        byte[] hash;
        try
        {
            if (ContentHash().AsSpan().SequenceCompareTo(Snapshot()) == 0)
            {
                return false;
            }

            (loaded, hash) = Load();
        }
        catch (Exception e) when (e is IOException or CryptographicException or UnauthorizedAccessException or ArgumentException)
        {
            _logger?.LogWarning("TLS certificate files did not load ({Error}); keeping the certificate in use", e.GetType().Name);
            return false;
        }

        lock (_gate)
        {
            _current = loaded;
            _contentHash = hash;
        }

        _logger?.LogInformation("TLS certificate reloaded: {Subject}, valid until {NotAfter:u}", loaded.Subject, loaded.NotAfter.ToUniversalTime());
        Reloaded?.Invoke(this, loaded);
        return true;
    }

    public void Dispose()
    {
        _sighup?.Dispose();
        _stopping.Cancel();
        try
        {
            _polling.GetAwaiter().GetResult();
        }
        catch (OperationCanceledException)
        {
        }

        _stopping.Dispose();
    }

    private byte[] Snapshot()
    {
        lock (_gate)
        {
            return _contentHash;
        }
    }

    private async Task PollAsync(TimeSpan interval, TimeProvider time)
    {
        using var timer = new PeriodicTimer(interval, time);
        while (await timer.WaitForNextTickAsync(_stopping.Token))
        {
            Reload();
        }
    }

    private (X509Certificate2, byte[]) Load()
    {
        var hash = ContentHash();
        using var pem = X509Certificate2.CreateFromPemFile(_certificatePath, _keyPath);

        // Re-imported so that the private key outlives the PEM object on every platform.
        var certificate = X509CertificateLoader.LoadPkcs12(pem.Export(X509ContentType.Pkcs12), null);
        return (certificate, hash);
    }

    private byte[] ContentHash()
    {
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        sha.AppendData(File.ReadAllBytes(_certificatePath));
        sha.AppendData(File.ReadAllBytes(_keyPath));
        return sha.GetHashAndReset();
    }
}
