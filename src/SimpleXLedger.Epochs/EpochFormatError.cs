namespace SimpleXLedger.Epochs;

/// <summary>What was wrong with epoch data handed to an encoder, decoder, builder or reader.</summary>
public enum EpochFormatError
{
    /// <summary>A field or encoding has the wrong length.</summary>
    BadLength = 1,

    /// <summary>The first byte is not the format's domain tag.</summary>
    BadTag,

    /// <summary>A version byte or <c>formatVersion</c> this library does not read.</summary>
    BadVersion,

    /// <summary>A token kind other than PAID, ROLLOVER, RECOUP.</summary>
    BadKind,

    /// <summary>A paying entry without a payee, or a non-paying one with a payee.</summary>
    BadPayee,

    /// <summary>A PAID entry with a non-zero ref.</summary>
    BadRef,

    /// <summary>The same (keyId, nonce) twice in one epoch.</summary>
    DuplicateToken,

    /// <summary>A keyId missing from the registry index map, or key counts out of order or too many.</summary>
    BadKey,

    /// <summary>An amount, sum or count does not fit its field.</summary>
    Overflow,

    /// <summary>A position outside the tree, or positions of a multiproof not strictly increasing.</summary>
    BadPosition,

    /// <summary>An export file that does not start with "SXLE".</summary>
    BadMagic,

    /// <summary>An export file that ends early or has bytes after its end.</summary>
    Truncated,

    /// <summary>Data whose recomputed hash, root, sum or count differs from what the header commits.</summary>
    Mismatch,

    /// <summary>A parameter out of range (zero chain id, empty batch, …).</summary>
    BadParameter,
}
