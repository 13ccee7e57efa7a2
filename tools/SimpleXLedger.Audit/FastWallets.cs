using System.Runtime.CompilerServices;
using SimpleXLedger.Wallet.Storage;

namespace SimpleXLedger.Audit;

/// <summary>The audit simulates hundreds of wallets: it may make them with <see cref="KdfParameters.WeakForTests"/> (sxl never can).</summary>
internal static class FastWallets
{
#pragma warning disable CA2255 // A simulation, not a library: the switch is set for the whole audit process.
    [ModuleInitializer]
#pragma warning restore CA2255
    internal static void Allow() => KdfParameters.AllowTestParametersInThisProcess();
}
