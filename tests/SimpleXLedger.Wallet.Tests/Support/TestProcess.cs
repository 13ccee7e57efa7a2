using System.Runtime.CompilerServices;
using SimpleXLedger.Wallet.Storage;

namespace SimpleXLedger.Wallet.Tests.Support;

/// <summary>Set once when the test assembly loads.</summary>
internal static class TestProcess
{
    /// <summary>Wallets made here may use <see cref="KdfParameters.WeakForTests"/> (sxl itself never can).</summary>
#pragma warning disable CA2255 // A test assembly: this is exactly where a process-wide test switch belongs.
    [ModuleInitializer]
#pragma warning restore CA2255
    internal static void AllowFastWallets() => KdfParameters.AllowTestParametersInThisProcess();
}
