using System.Text.Json;
using System.Text.Json.Serialization;
using SimpleXLedger.Tokens;

namespace SimpleXLedger.Clearing.Registry;

/// <summary>
/// Keys from configuration and time from a clock: only for development (<c>--devnet</c> without a chain) and
/// tests. Keys can be added and issued totals raised while running, as the issuer would anchor them.
/// </summary>
public sealed class StaticKeyRegistry : IKeyRegistry
{
    private readonly TimeProvider _time;
    private readonly Lock _gate = new();
    private RegisteredKey[] _keys;

    public StaticKeyRegistry(IEnumerable<RegisteredKey> keys, TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(keys);
        _keys = keys.ToArray();
        _time = time ?? TimeProvider.System;
    }

    public bool IsDevelopment => true;

    public ValueTask<RegistrySnapshot> GetSnapshotAsync(CancellationToken cancellationToken)
    {
        RegisteredKey[] keys;
        lock (_gate)
        {
            keys = _keys;
        }

        return ValueTask.FromResult(new RegistrySnapshot(keys, (ulong)_time.GetUtcNow().ToUnixTimeSeconds()));
    }

    /// <summary>Adds or replaces a key (matched by key id).</summary>
    public void Put(RegisteredKey key)
    {
        ArgumentNullException.ThrowIfNull(key);
        lock (_gate)
        {
            _keys = [.. _keys.Where(k => !k.KeyId.SequenceEqual(key.KeyId)), key];
        }
    }

    /// <summary>Reads a development keys file: <c>{"keys":[{"tokenKey":"&lt;base64url SPKI&gt;","usableFrom":0,"issueUntil":…,"redeemUntil":…,"issued":…}]}</c>.</summary>
    public static StaticKeyRegistry FromFile(string path, TimeProvider? time = null)
    {
        DevKeysFile? file;
        try
        {
            file = JsonSerializer.Deserialize<DevKeysFile>(File.ReadAllText(path));
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{path} is not a keys file: {e.Message}", e);
        }

        if (file?.Keys is null)
        {
            throw new InvalidDataException($"{path} has no \"keys\" list");
        }

        var keys = new List<RegisteredKey>();
        foreach (var entry in file.Keys)
        {
            if (!TokenPublicKey.TryFromBase64Url(entry.TokenKey, out var key, out var error))
            {
                throw new InvalidDataException($"{path}: a tokenKey is not a token key ({error.Describe()})");
            }

            if (entry.UsableFrom >= entry.RedeemUntil)
            {
                throw new InvalidDataException($"{path}: key {key.KeyIdHex} has usableFrom at or after redeemUntil");
            }

            keys.Add(new RegisteredKey(key, entry.UsableFrom, entry.IssueUntil == 0 ? entry.RedeemUntil : entry.IssueUntil, entry.RedeemUntil, 0, entry.Issued));
        }

        return new StaticKeyRegistry(keys, time);
    }

    /// <summary>Writes a keys file for these keys (tests and tooling).</summary>
    public static void WriteFile(string path, IEnumerable<RegisteredKey> keys)
    {
        var file = new DevKeysFile
        {
            Keys = keys.Select(k => new DevKey
            {
                TokenKey = k.PublicKey.ToBase64Url(),
                UsableFrom = k.UsableFrom,
                IssueUntil = k.IssueUntil,
                RedeemUntil = k.RedeemUntil,
                Issued = k.Issued,
            }).ToList(),
        };
        File.WriteAllText(path, JsonSerializer.Serialize(file, new JsonSerializerOptions { WriteIndented = true }));
    }

    private sealed class DevKeysFile
    {
        [JsonPropertyName("keys")]
        public List<DevKey>? Keys { get; set; }
    }

    private sealed class DevKey
    {
        [JsonPropertyName("tokenKey")]
        public string? TokenKey { get; set; }

        [JsonPropertyName("usableFrom")]
        public ulong UsableFrom { get; set; }

        [JsonPropertyName("issueUntil")]
        public ulong IssueUntil { get; set; }

        [JsonPropertyName("redeemUntil")]
        public ulong RedeemUntil { get; set; }

        [JsonPropertyName("issued")]
        public ulong Issued { get; set; }
    }
}
