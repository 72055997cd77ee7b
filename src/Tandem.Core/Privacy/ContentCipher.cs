using System.Buffers;
using System.Security.Cryptography;
using System.Text;
using Tandem.Configuration;

namespace Tandem.Privacy;

/// <summary>
/// AES-256-GCM encryption of captured content at rest (<c>privacy.encryption</c>). Each value gets its own random
/// 96-bit nonce; the stored form is base64 of <c>nonce ‖ tag ‖ ciphertext</c>, and the key id is kept beside it in
/// the row (<c>key_id</c>). The key id and the column name are the associated data, so a value moved to another
/// column or relabelled with another key fails to decrypt instead of being read wrongly.
/// </summary>
public sealed class ContentCipher
{
    private const int NonceSize = 12;
    private const int TagSize = 16;

    private readonly Dictionary<string, byte[]> _keys;

    private ContentCipher(Dictionary<string, byte[]> keys, string active)
    {
        _keys = keys;
        ActiveKeyId = active;
    }

    /// <summary>The id of the key new values are encrypted with.</summary>
    public string ActiveKeyId { get; }

    /// <summary>The ids of every key this cipher can read.</summary>
    public IReadOnlyCollection<string> KeyIds => _keys.Keys;

    /// <summary>
    /// Reads the keys of <paramref name="config"/> from their environment variables or files (relative to
    /// <paramref name="baseDirectory"/>); null when encryption is not configured.
    /// </summary>
    /// <exception cref="ConfigException">A key is missing, unreadable or not 32 bytes of base64.</exception>
    public static ContentCipher? Load(EncryptionConfig? config, string baseDirectory)
    {
        ArgumentNullException.ThrowIfNull(baseDirectory);
        if (config is null)
        {
            return null;
        }

        var errors = new List<string>();
        var keys = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        for (var i = 0; i < config.Keys.Count; i++)
        {
            var k = config.Keys[i];
            var path = $"privacy.encryption.keys[{i}]";
            string? text;
            if (k.Env is not null)
            {
                text = Environment.GetEnvironmentVariable(k.Env);
                if (string.IsNullOrEmpty(text))
                {
                    errors.Add($"{path}.env: environment variable '{k.Env}' is not set");
                    continue;
                }
            }
            else if (k.File is not null)
            {
                var file = Path.Combine(baseDirectory, k.File);
                try
                {
                    text = File.ReadAllText(file);
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                {
                    errors.Add($"{path}.file: cannot read '{file}': {e.Message}");
                    continue;
                }
            }
            else
            {
                errors.Add($"{path}: set exactly one of env and file");
                continue;
            }

            var key = new byte[32];
            if (!Convert.TryFromBase64String(text.Trim(), key, out var length) || length != 32)
            {
                // Never echo the value: it is (or was meant to be) a secret.
                errors.Add($"{path}: the key of '{k.Id}' must be 32 bytes in base64 (e.g. `openssl rand -base64 32`)");
                continue;
            }

            keys[k.Id] = key;
        }

        if (config.Active is null || (!keys.ContainsKey(config.Active) && errors.Count == 0))
        {
            errors.Add($"privacy.encryption.active: '{config.Active}' is not one of privacy.encryption.keys");
        }

        if (errors.Count > 0)
        {
            throw new ConfigException(errors);
        }

        return new ContentCipher(keys, config.Active!);
    }

    /// <summary>A cipher over raw 32-byte keys (tests, tools).</summary>
    public static ContentCipher Create(IReadOnlyDictionary<string, byte[]> keys, string active)
    {
        ArgumentNullException.ThrowIfNull(keys);
        ArgumentNullException.ThrowIfNull(active);
        if (!keys.ContainsKey(active) || keys.Values.Any(k => k.Length != 32))
        {
            throw new ArgumentException("the active key must be listed and every key must be 32 bytes", nameof(keys));
        }

        return new ContentCipher(new Dictionary<string, byte[]>(keys, StringComparer.Ordinal), active);
    }

    /// <summary>Encrypts <paramref name="plaintext"/> of <paramref name="column"/> with the active key; null stays null.</summary>
    public string? Encrypt(string? plaintext, string column)
    {
        ArgumentNullException.ThrowIfNull(column);
        if (plaintext is null)
        {
            return null;
        }

        var byteCount = Encoding.UTF8.GetByteCount(plaintext);
        var buffer = ArrayPool<byte>.Shared.Rent(NonceSize + TagSize + (byteCount * 2));
        try
        {
            var nonce = buffer.AsSpan(0, NonceSize);
            var tag = buffer.AsSpan(NonceSize, TagSize);
            var cipher = buffer.AsSpan(NonceSize + TagSize, byteCount);
            var plain = buffer.AsSpan(NonceSize + TagSize + byteCount, byteCount);
            Encoding.UTF8.GetBytes(plaintext, plain);
            RandomNumberGenerator.Fill(nonce);
            using var aes = new AesGcm(_keys[ActiveKeyId], TagSize);
            aes.Encrypt(nonce, plain, cipher, tag, AssociatedData(ActiveKeyId, column));
            plain.Clear();
            return Convert.ToBase64String(buffer.AsSpan(0, NonceSize + TagSize + byteCount));
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>
    /// The clear text of a stored value: as it is when <paramref name="keyId"/> is null (a row written before
    /// encryption was configured), else decrypted with that key.
    /// </summary>
    /// <exception cref="ContentKeyException">The key is not configured, or the value does not decrypt with it (wrong key, altered value).</exception>
    public string? Decrypt(string? stored, string? keyId, string column)
    {
        ArgumentNullException.ThrowIfNull(column);
        if (stored is null || keyId is null)
        {
            return stored;
        }

        if (!_keys.TryGetValue(keyId, out var key))
        {
            throw new ContentKeyException($"stored content is encrypted with key '{keyId}', which is not listed in privacy.encryption.keys (listed: {string.Join(", ", _keys.Keys)})");
        }

        return DecryptWith(key, stored, keyId, column);
    }

    /// <summary>Decrypts without a cipher: content encrypted with a key and no configured keys is a clear error.</summary>
    /// <exception cref="ContentKeyException">Always, when <paramref name="keyId"/> is not null.</exception>
    public static string? Decrypt(ContentCipher? cipher, string? stored, string? keyId, string column)
    {
        if (cipher is not null)
        {
            return cipher.Decrypt(stored, keyId, column);
        }

        return stored is null || keyId is null
            ? stored
            : throw new ContentKeyException($"stored content is encrypted with key '{keyId}', but privacy.encryption is not configured");
    }

    private static string DecryptWith(byte[] key, string stored, string keyId, string column)
    {
        byte[] data;
        try
        {
            data = Convert.FromBase64String(stored);
        }
        catch (FormatException)
        {
            throw new ContentKeyException($"stored {column} marked as encrypted with key '{keyId}' is not base64: the row was altered");
        }

        if (data.Length < NonceSize + TagSize)
        {
            throw new ContentKeyException($"stored {column} marked as encrypted with key '{keyId}' is too short: the row was altered");
        }

        var plain = new byte[data.Length - NonceSize - TagSize];
        try
        {
            using var aes = new AesGcm(key, TagSize);
            aes.Decrypt(data.AsSpan(0, NonceSize), data.AsSpan(NonceSize + TagSize), data.AsSpan(NonceSize, TagSize), plain, AssociatedData(keyId, column));
        }
        catch (AuthenticationTagMismatchException)
        {
            throw new ContentKeyException($"stored {column} does not decrypt with key '{keyId}': the configured key is not the one it was written with, or the row was altered");
        }

        return Encoding.UTF8.GetString(plain);
    }

    private static byte[] AssociatedData(string keyId, string column) => Encoding.UTF8.GetBytes(keyId + "\0" + column);
}

/// <summary>Stored content that cannot be decrypted: its key is missing or wrong, or the row was altered.</summary>
public sealed class ContentKeyException : Exception
{
    /// <summary>Creates the exception.</summary>
    public ContentKeyException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception.</summary>
    public ContentKeyException()
    {
    }

    /// <summary>Creates the exception.</summary>
    public ContentKeyException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
