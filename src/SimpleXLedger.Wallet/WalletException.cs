namespace SimpleXLedger.Wallet;

/// <summary>Every way a wallet operation can be refused. Messages name the problem, never a secret.</summary>
public enum WalletError
{
    /// <summary>The passphrase does not open this wallet.</summary>
    WrongPassphrase,

    /// <summary>The file was altered or damaged (header or a record): nothing was read from it or written to it.</summary>
    Tampered,

    /// <summary>Not a wallet file at all.</summary>
    NotAWallet,

    /// <summary>A wallet file format this version does not know.</summary>
    UnsupportedFormat,

    /// <summary>There is no wallet at the path.</summary>
    NotFound,

    /// <summary>A wallet (or some other file) already exists at the path.</summary>
    AlreadyExists,

    /// <summary>Another process (or another handle in this one) has the wallet open.</summary>
    InUse,

    /// <summary>The passphrase is empty or too short for a new wallet.</summary>
    WeakPassphrase,

    /// <summary>Argon2id parameters out of the accepted range.</summary>
    InvalidKdfParameters,

    /// <summary>The input (card code, link, address, name, amount) is malformed.</summary>
    InvalidInput,

    /// <summary>The issuer's key is not the one anchored in the registry (see <see cref="KeyConsistencyException"/>).</summary>
    KeyInconsistent,

    /// <summary>The issuer refused a redemption (the reason says why) or answered something unusable.</summary>
    IssuerRefused,

    /// <summary>The issuer, relay or chain could not be reached; nothing was lost, a retry resumes.</summary>
    Unreachable,

    /// <summary>The card is not active at the issuer yet (funding not seen on-chain).</summary>
    CardNotActive,

    /// <summary>Not enough tokens for the operation.</summary>
    InsufficientTokens,

    /// <summary>No queue of that name (or sender link) in this wallet.</summary>
    UnknownQueue,

    /// <summary>A relay refused a command.</summary>
    RelayRefused,

    /// <summary>The chain refused the purchase (the contract's error says why).</summary>
    ChainRefused,

    /// <summary>Waiting for something (activation of a bought card) took longer than allowed.</summary>
    TimedOut,
}

/// <summary>A refused wallet operation: a typed <see cref="Error"/> and a message without secrets.</summary>
public class WalletException : Exception
{
    public WalletException()
        : this(WalletError.InvalidInput, "wallet operation refused")
    {
    }

    public WalletException(string message)
        : this(WalletError.InvalidInput, message)
    {
    }

    public WalletException(string message, Exception innerException)
        : this(WalletError.InvalidInput, message, innerException)
    {
    }

    public WalletException(WalletError error, string message, Exception? innerException = null)
        : base(message, innerException)
    {
        Error = error;
    }

    public WalletError Error { get; }
}

/// <summary>
/// The wallet has tokens, but all younger than the policy's minimum age: paying now would follow their redemption
/// closely in time. Nothing was spent or sent. <see cref="RetryAt"/> is when to try again: the moment they are old
/// enough plus a fresh random delay, so the payment's distance from the redemption is not a constant either.
/// </summary>
public sealed class TokensTooYoungException : WalletException
{
    public TokensTooYoungException()
        : this("the tokens available are too young to spend", DateTimeOffset.MinValue, DateTimeOffset.MinValue)
    {
    }

    public TokensTooYoungException(string message)
        : this(message, DateTimeOffset.MinValue, DateTimeOffset.MinValue)
    {
    }

    public TokensTooYoungException(string message, Exception innerException)
        : base(WalletError.InsufficientTokens, message, innerException)
    {
    }

    public TokensTooYoungException(string message, DateTimeOffset spendableAt, DateTimeOffset retryAt)
        : base(WalletError.InsufficientTokens, message)
    {
        SpendableAt = spendableAt;
        RetryAt = retryAt;
    }

    /// <summary>When the oldest available token reaches the minimum age.</summary>
    public DateTimeOffset SpendableAt { get; }

    /// <summary>When to try again (after <see cref="SpendableAt"/>, by a random delay drawn from the top-up delay).</summary>
    public DateTimeOffset RetryAt { get; }
}

/// <summary>Why the wallet refused an issuer's key: key consistency (design, point 2) allows no fallback.</summary>
public enum KeyConsistencyFailure
{
    /// <summary>The registry has no key issuing now (by the chain's clock).</summary>
    NoAnchoredIssuingKey,

    /// <summary>The registry's key bytes do not hash to its key id, or are not a token key.</summary>
    RegistryKeyMalformed,

    /// <summary>The issuer's directory lists no usable key.</summary>
    DirectoryEmpty,

    /// <summary>The directory lists more than one key.</summary>
    DirectoryOffersSeveralKeys,

    /// <summary>The directory (HTTP or gRPC) offers a key other than the registry's.</summary>
    DirectoryOffersOtherKey,

    /// <summary>The issuer's name changed from the one this wallet pinned.</summary>
    IssuerNameChanged,

    /// <summary>No chain to read the registry from, and trusting the directory was not explicitly allowed.</summary>
    NoRegistry,
}

/// <summary>The issuer offered a key the registry does not name as the current issuing key: nothing was sent, nothing stored.</summary>
public sealed class KeyConsistencyException : WalletException
{
    public KeyConsistencyException()
        : this(KeyConsistencyFailure.DirectoryOffersOtherKey, "key consistency check failed")
    {
    }

    public KeyConsistencyException(string message)
        : this(KeyConsistencyFailure.DirectoryOffersOtherKey, message)
    {
    }

    public KeyConsistencyException(string message, Exception innerException)
        : base(WalletError.KeyInconsistent, message, innerException)
    {
        Failure = KeyConsistencyFailure.DirectoryOffersOtherKey;
    }

    public KeyConsistencyException(KeyConsistencyFailure failure, string message)
        : base(WalletError.KeyInconsistent, message)
    {
        Failure = failure;
    }

    public KeyConsistencyFailure Failure { get; }
}
