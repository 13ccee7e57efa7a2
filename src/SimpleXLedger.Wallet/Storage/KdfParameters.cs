using System.Globalization;

namespace SimpleXLedger.Wallet.Storage;

/// <summary>
/// The Argon2id cost of turning a passphrase into the wallet key, stored in the file's header so a wallet opens with
/// the cost it was made with. Parallelism is 1 (libsodium's Argon2id).
/// </summary>
/// <param name="MemoryKib">Memory in KiB.</param>
/// <param name="Passes">Passes over that memory.</param>
public sealed record KdfParameters(long MemoryKib, long Passes)
{
    /// <summary>The least a wallet accepts: 64 MiB (libsodium's "interactive").</summary>
    public const long MinMemoryKib = 64 * 1024;
    public const long MaxMemoryKib = 4L * 1024 * 1024;

    /// <summary>The fewest passes a wallet accepts.</summary>
    public const long MinPasses = 2;
    public const long MaxPasses = 64;

    private static volatile bool s_testParametersAllowed;

    /// <summary>The default: 256 MiB, 3 passes (libsodium's "moderate"; about two seconds on a small server).</summary>
    public static KdfParameters Strong { get; } = new(256 * 1024, 3);

    /// <summary>64 MiB, 2 passes (libsodium's "interactive"): for machines short of memory.</summary>
    public static KdfParameters Interactive { get; } = new(64 * 1024, 2);

    /// <summary>
    /// Deliberately weak (1 MiB, 1 pass): only for tests and simulations that open many wallets, and refused like any
    /// other weak cost unless that process called <see cref="AllowTestParametersInThisProcess"/>.
    /// </summary>
    public static KdfParameters WeakForTests { get; } = new(1024, 1);

    public int Parallelism => 1;

    /// <summary>At least <see cref="MinMemoryKib"/> and <see cref="MinPasses"/>; or exactly <see cref="WeakForTests"/> in a test process.</summary>
    public bool IsValid =>
        (MemoryKib is >= MinMemoryKib and <= MaxMemoryKib && Passes is >= MinPasses and <= MaxPasses)
        || (s_testParametersAllowed && this == WeakForTests);

    /// <summary>
    /// Test-only: lets this process make and open wallets with exactly <see cref="WeakForTests"/>, to keep tests fast.
    /// sxl never calls it (no option or variable reaches it), so a real wallet's cost is never below the minimum.
    /// </summary>
    public static void AllowTestParametersInThisProcess() => s_testParametersAllowed = true;

    public void Validate()
    {
        if (!IsValid)
        {
            throw new WalletException(
                WalletError.InvalidKdfParameters,
                string.Create(CultureInfo.InvariantCulture, $"Argon2id memory must be {MinMemoryKib / 1024} MiB to {MaxMemoryKib / 1024} MiB and passes {MinPasses} to {MaxPasses}"));
        }
    }

    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"argon2id m={MemoryKib}KiB t={Passes} p=1");
}
