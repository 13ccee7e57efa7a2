using System.CommandLine;
using SimpleXLedger.Net;
using SimpleXLedger.Tokens;

namespace SimpleXLedger.Cli.Commands;

/// <summary><c>sxl token …</c>: token keys and offline verification.</summary>
internal static class TokenCommands
{
    public static Command Build()
    {
        var token = new Command("token", "Privacy Pass token keys and offline token verification (token type 2, Blind RSA 2048).");
        token.Subcommands.Add(BuildKeygen());
        token.Subcommands.Add(BuildVerify());
        return token;
    }

    private static Command BuildKeygen()
    {
        var output = new Option<FileInfo>("--out")
        {
            Description = "Where to write the private key (PKCS#8 PEM). The file is created owner-only (0600); an existing file is never overwritten.",
            Required = true,
        };
        var passphraseFile = new Option<FileInfo?>("--passphrase-file")
        {
            Description = "Encrypt the key (PKCS#8 PBES2, AES-256) under the passphrase in the first line of this file.",
        };
        var command = new Command("keygen", "Generate an issuer token key (RSA-2048) and print its token key (base64url SPKI, RFC 9578) on stdout.")
        {
            output,
            passphraseFile,
        };
        command.SetAction(parse =>
        {
            var path = parse.GetValue(output)!.FullName;
            string? passphrase = null;
            if (parse.GetValue(passphraseFile) is { } file)
            {
                if (!TryReadPassphrase(file, out passphrase))
                {
                    return ExitCodes.Usage;
                }
            }

            using var key = TokenPrivateKey.Generate();
            try
            {
                key.Save(path, passphrase);
            }
            catch (IOException e)
            {
                Console.Error.WriteLine(File.Exists(path) ? $"error: {path} already exists; not overwriting a key" : $"error: cannot write {path}: {e.Message}");
                return ExitCodes.Failed;
            }
            catch (UnauthorizedAccessException)
            {
                Console.Error.WriteLine($"error: cannot write {path}: permission denied");
                return ExitCodes.Failed;
            }

            Console.Out.WriteLine(key.PublicKey.ToBase64Url());
            return ExitCodes.Ok;
        });
        return command;
    }

    private static Command BuildVerify()
    {
        var tokenKey = new Option<string>("--token-key")
        {
            Description = "The issuer's token key: base64url DER SPKI (id-RSASSA-PSS, RSA-2048), as keygen prints. Malformed: usage error (exit 2).",
            Required = true,
        };
        var issuerName = new Option<string>("--issuer-name")
        {
            Description = "The issuer name of the network challenge (type 2, empty redemption context and origin info). Malformed: usage error (exit 2).",
            Required = true,
        };
        var tokenOption = new Option<string>("--token")
        {
            Description = "The token: base64url Token (RFC 9577), as the PrivateToken Authorization header carries it. Malformed: 'invalid: <reason>' (exit 1).",
            Required = true,
        };
        var command = new Command(
            "verify",
            "Verify a token offline against an issuer key and the network challenge. Prints 'valid' (exit 0) or 'invalid: <reason>' (exit 1); a malformed --token-key or --issuer-name is a usage error (exit 2). The spent-set is not consulted.")
        {
            tokenKey,
            issuerName,
            tokenOption,
        };
        command.SetAction(parse =>
        {
            if (!TokenPublicKey.TryFromBase64Url(parse.GetValue(tokenKey), out var key, out var keyError))
            {
                Console.Error.WriteLine($"error: --token-key: {keyError.Describe()}");
                return ExitCodes.Usage;
            }

            TokenChallenge challenge;
            try
            {
                challenge = TokenChallenge.ForNetwork(parse.GetValue(issuerName)!);
            }
            catch (TokenException e)
            {
                Console.Error.WriteLine($"error: --issuer-name: {e.Error.Describe()}");
                return ExitCodes.Usage;
            }

            // The token itself is the thing under test: anything wrong with it is an "invalid" answer.
            if (!Token.TryParseBase64Url(parse.GetValue(tokenOption), out var token, out var tokenError))
            {
                Console.Out.WriteLine($"invalid: {tokenError.Describe()}");
                return ExitCodes.Failed;
            }

            var result = TokenVerifier.Check(key, token, challenge);
            if (result != TokenError.None)
            {
                Console.Out.WriteLine($"invalid: {result.Describe()}");
                return ExitCodes.Failed;
            }

            Console.Out.WriteLine("valid");
            return ExitCodes.Ok;
        });
        return command;
    }

    private static bool TryReadPassphrase(FileInfo file, out string? passphrase)
    {
        passphrase = null;
        try
        {
            using var reader = file.OpenText();
            passphrase = reader.ReadLine();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            Console.Error.WriteLine($"error: --passphrase-file: cannot read {file.FullName}");
            return false;
        }

        if (string.IsNullOrEmpty(passphrase))
        {
            Console.Error.WriteLine("error: --passphrase-file: the first line is empty");
            return false;
        }

        return true;
    }
}
