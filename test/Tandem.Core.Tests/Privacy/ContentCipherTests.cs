using Tandem.Configuration;
using Tandem.Privacy;
using Xunit;

namespace Tandem.Core.Tests.Privacy;

public sealed class ContentCipherTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("tandem-cipher-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static readonly byte[] KeyA = [.. Enumerable.Range(0, 32).Select(i => (byte)i)];

    [Fact]
    public void Load_KeyFileRelativeToConfig_EncryptsAndDecrypts()
    {
        File.WriteAllText(Path.Combine(_dir, "a.key"), Convert.ToBase64String(KeyA) + "\n");
        var cipher = ContentCipher.Load(new EncryptionConfig { Keys = [new() { Id = "a", File = "a.key" }], Active = "a" }, _dir)!;

        var stored = cipher.Encrypt("hello ✓", "prompt")!;

        // base64 of 12-byte nonce + 16-byte tag + 9 UTF-8 bytes ("hello " 6, "✓" 3) = 37 bytes → 52 characters.
        Assert.Equal(52, stored.Length);
        Assert.Equal("hello ✓", cipher.Decrypt(stored, "a", "prompt"));
        // The column is bound to the value: moved to another column it does not decrypt.
        Assert.Throws<ContentKeyException>(() => cipher.Decrypt(stored, "a", "response"));
        Assert.Equal("clear", cipher.Decrypt("clear", null, "prompt"));
        Assert.Null(ContentCipher.Load(null, _dir));
    }

    [Fact]
    public void Load_MissingOrMalformedKeys_ConfigErrorsThatNeverShowTheKey()
    {
        File.WriteAllText(Path.Combine(_dir, "short.key"), Convert.ToBase64String(KeyA[..16]));
        var config = new EncryptionConfig
        {
            Keys =
            [
                new() { Id = "env", Env = "TANDEM_TEST_CIPHER_KEY_NEVER_SET" },
                new() { Id = "short", File = "short.key" },
                new() { Id = "none", File = "absent.key" },
            ],
            Active = "env",
        };

        var e = Assert.Throws<ConfigException>(() => ContentCipher.Load(config, _dir));

        Assert.Equal(3, e.Errors.Count);
        Assert.Equal("privacy.encryption.keys[0].env: environment variable 'TANDEM_TEST_CIPHER_KEY_NEVER_SET' is not set", e.Errors[0]);
        Assert.Equal("privacy.encryption.keys[1]: the key of 'short' must be 32 bytes in base64 (e.g. `openssl rand -base64 32`)", e.Errors[1]);
        Assert.StartsWith("privacy.encryption.keys[2].file: cannot read '" + Path.Combine(_dir, "absent.key") + "'", e.Errors[2], StringComparison.Ordinal);
        Assert.DoesNotContain(Convert.ToBase64String(KeyA[..16]), e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_EncryptionShape_ReportsEveryError()
    {
        var config = new TandemConfig
        {
            Privacy = new PrivacyConfig
            {
                Encryption = new EncryptionConfig
                {
                    Keys = [new() { Id = "k 1", File = "x" }, new() { Id = "k2", File = "x", Env = "Y" }, new() { Id = "k2", File = "y" }],
                    Active = "k3",
                },
            },
        };

        var errors = ConfigValidator.Validate(config, ConfigUse.Tool).Where(e => e.StartsWith("privacy", StringComparison.Ordinal)).ToList();

        Assert.Equal(
        [
            "privacy.encryption.keys[0].id: 'k 1' is not a key id (letters, digits, '-', '_', '.'; 1 to 32 characters)",
            "privacy.encryption.keys[1]: set exactly one of env and file",
            "privacy.encryption.keys[2].id: 'k2' is listed twice",
            "privacy.encryption.active: 'k3' is not one of privacy.encryption.keys",
        ], errors);
    }
}
