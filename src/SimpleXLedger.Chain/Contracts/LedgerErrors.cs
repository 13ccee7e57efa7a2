using System.Globalization;
using Nethereum.ABI.ABIDeserialisation;
using Nethereum.ABI.FunctionEncoding;
using Nethereum.ABI.Model;
using Nethereum.Contracts;
using Nethereum.Hex.HexConvertors.Extensions;

namespace SimpleXLedger.Chain.Contracts;

/// <summary>
/// The ledger (or its registry, token) refused a call with one of its custom errors, e.g.
/// <c>KeyTooSoon(usableFrom, earliest)</c>. Arguments are public chain data, never secrets.
/// </summary>
public sealed class LedgerRevertException : Exception
{
    public LedgerRevertException(string errorName, IReadOnlyList<KeyValuePair<string, object?>> arguments)
        : base($"the ledger refused: {errorName}({string.Join(", ", arguments.Select(a => $"{a.Key}={Format(a.Value)}"))})")
    {
        ErrorName = errorName;
        Arguments = arguments;
    }

    public LedgerRevertException()
        : this("Unknown", [])
    {
    }

    public LedgerRevertException(string message)
        : base(message)
    {
        ErrorName = "Unknown";
        Arguments = [];
    }

    public LedgerRevertException(string message, Exception inner)
        : base(message, inner)
    {
        ErrorName = "Unknown";
        Arguments = [];
    }

    /// <summary>The Solidity error's name (e.g. <c>EpochNotPostable</c>), or the revert reason for string reverts.</summary>
    public string ErrorName { get; }

    public IReadOnlyList<KeyValuePair<string, object?>> Arguments { get; }

    public object? Argument(string name) => Arguments.FirstOrDefault(a => a.Key == name).Value;

    private static string Format(object? value) => value switch
    {
        byte[] bytes => bytes.ToHex(true),
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        null => "null",
        _ => value.ToString() ?? "",
    };
}

/// <summary>Decodes the custom errors of every contract this assembly ships (from their ABIs).</summary>
public static class LedgerErrors
{
    private static readonly IReadOnlyList<ErrorABI> Known = LoadErrors();

    /// <summary>Turns Nethereum's revert exceptions into <see cref="LedgerRevertException"/>; other exceptions give null.</summary>
    public static LedgerRevertException? Translate(Exception exception)
    {
        switch (exception)
        {
            case LedgerRevertException ledger:
                return ledger;
            case SmartContractCustomErrorRevertException custom:
                foreach (var error in Known)
                {
                    if (custom.IsCustomErrorFor(error))
                    {
                        var values = custom.DecodeErrorToDefault(error);
                        return new LedgerRevertException(error.Name, values.Select(v => new KeyValuePair<string, object?>(v.Parameter.Name, v.Result)).ToList());
                    }
                }

                return new LedgerRevertException($"the ledger refused with an unknown error {custom.ExceptionEncodedData}", custom);
            case SmartContractRevertException revert:
                return new LedgerRevertException(revert.RevertMessage ?? "revert", []);
            default:
                return exception.InnerException is null ? null : Translate(exception.InnerException);
        }
    }

    /// <summary>Decodes raw revert data (selector + arguments), as returned by a failed <c>eth_call</c>.</summary>
    public static LedgerRevertException? Decode(string? revertData)
    {
        if (string.IsNullOrEmpty(revertData) || revertData.Length < 10)
        {
            return null;
        }

        var data = revertData.EnsureHexPrefix();
        var decoder = new FunctionCallDecoder();
        foreach (var error in Known)
        {
            if (decoder.IsDataForError(error, data))
            {
                var values = decoder.DecodeError(error, data);
                return new LedgerRevertException(error.Name, values.Select(v => new KeyValuePair<string, object?>(v.Parameter.Name, v.Result)).ToList());
            }
        }

        return null;
    }

    private static List<ErrorABI> LoadErrors()
    {
        var errors = new Dictionary<string, ErrorABI>(StringComparer.Ordinal);
        foreach (var artifact in new[] { ContractArtifact.Ledger, ContractArtifact.KeyRegistry, ContractArtifact.TestStablecoin, ContractArtifact.LedgerV2, ContractArtifact.KeyRegistryV2, ContractArtifact.EpochJudge })
        {
            foreach (var error in new ABIJsonDeserialiser().DeserialiseContract(artifact.Abi).Errors)
            {
                errors.TryAdd(error.Sha3Signature, error);
            }
        }

        return errors.Values.ToList();
    }
}
