using System.Globalization;
using System.Numerics;
using System.Text;
using Tandem.Privacy;
using Xunit;

namespace Tandem.Core.Tests.Privacy;

/// <summary>
/// The promise of one vocabulary: for generated values of every kind, embedded in random surrounding text, routing's
/// detection reports the kind exactly when capture's masking removes the value and writes <c>[kind]</c> in its
/// place. Values are generated here, with their own check digits (Luhn, mod 97 through BigInteger), independently
/// of the code under test; seeds are fixed, so every run checks the same values.
/// </summary>
public sealed class PersonalDataPropertyTests
{
    private const int Samples = 400;

    private static readonly PersonalDataDetector Detector = new([new("employee_id", @"\bEMP-\d{6}\b")]);

    private static readonly string[] Words =
        ["please", "update", "my", "details", "invoice", "for", "March", "thanks", "Kind", "regards", "shipped", "today", "attached", "Über", "café", "note"];

    private static readonly string[] Joints = [" ", ", ", ". ", ": ", "; ", "\n", " (", ") ", " - ", "\t", " \"", "\" ", "! ", " <", "> "];

    // A sample of the ISO 13616 registry (country and IBAN length), independent of the product's table.
    private static readonly (string Country, int Length)[] IbanCountries =
        [("DE", 22), ("GB", 22), ("FR", 27), ("NL", 18), ("NO", 15), ("MT", 31), ("LC", 32), ("RU", 33), ("CH", 21), ("BE", 16), ("SA", 24), ("BR", 29)];

    public static TheoryData<string> Kinds => new("email", "secret", "iban", "card", "ssn", "ip", "phone", "employee_id");

    [Theory]
    [MemberData(nameof(Kinds))]
    public void DetectAndMask_AgreeOnEveryGeneratedValue(string kind)
    {
        var random = new Random(1000 + Array.IndexOf(["email", "secret", "iban", "card", "ssn", "ip", "phone", "employee_id"], kind));
        var only = Detector.KindsOf([kind]);
        for (var i = 0; i < Samples; i++)
        {
            var value = Generate(kind, random);
            var (before, after) = (Before(random), After(random));
            var text = before + value + after;

            Assert.Equal(before + "[" + kind + "]" + after, Detector.Mask(text));
            Assert.Equal([kind], Detector.Detect(text).ToList().Select(k => k.Name));
            Assert.True(Detector.ContainsAny(text, only), text);
            Assert.True(Detector.ContainsAny(text, Detector.All), text);

            var miss = NearMiss(kind, random);
            text = before + miss + after;
            var masked = Detector.Mask(text);
            Assert.False(Detector.Detect(text).Contains(new PersonalDataKind(kind)), text);
            Assert.False(Detector.ContainsAny(text, only), text);
            Assert.DoesNotContain("[" + kind + "]", masked, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void DetectAndMask_AgreeOnTextsMixingEveryKind()
    {
        var random = new Random(77);
        string[] kinds = ["email", "secret", "iban", "card", "ssn", "ip", "phone", "employee_id"];
        for (var i = 0; i < Samples; i++)
        {
            var text = new StringBuilder(Before(random));
            var expected = new StringBuilder(text.ToString());
            var present = new HashSet<string>();
            var count = 1 + random.Next(5);
            for (var j = 0; j < count; j++)
            {
                var kind = kinds[random.Next(kinds.Length)];
                present.Add(kind);
                var after = After(random) + Joints[random.Next(Joints.Length)];
                text.Append(Generate(kind, random)).Append(after);
                expected.Append('[').Append(kind).Append(']').Append(after);
            }

            Assert.Equal(expected.ToString(), Detector.Mask(text.ToString()));
            Assert.Equal(kinds.Where(present.Contains).OrderBy(k => Detector.Kinds.ToList().FindIndex(x => x.Name == k)), Detector.Detect(text.ToString()).ToList().Select(k => k.Name));
            foreach (var kind in kinds)
            {
                Assert.Equal(present.Contains(kind), Detector.ContainsAny(text.ToString(), Detector.KindsOf([kind])));
            }
        }
    }

    [Fact]
    public void GeneratedCards_AreDetectedWhenLuhnValidOnly()
    {
        // Was Routing/SensitiveDataDetectorTests.GeneratedCards_AreDetectedWhenLuhnValidOnly.
        var random = new Random(11);
        for (var i = 0; i < 500; i++)
        {
            var digits = new int[16];
            digits[0] = 4;
            for (var j = 1; j < 15; j++)
            {
                digits[j] = random.Next(10);
            }

            digits[15] = LuhnCheckDigit(digits.AsSpan(0, 15));
            var valid = string.Concat(digits);
            var invalid = valid[..15] + ((digits[15] + 1) % 10);
            Assert.True(Detector.ContainsAny($"pay with {valid[..4]} {valid[4..8]} {valid[8..12]} {valid[12..]}", Detector.KindsOf(["card"])), valid);
            Assert.False(Detector.ContainsAny($"ref {invalid}", Detector.KindsOf(["card"])), invalid);
        }
    }

    internal static int LuhnCheckDigit(ReadOnlySpan<int> payload)
    {
        var sum = 0;
        for (var i = 0; i < payload.Length; i++)
        {
            var d = payload[payload.Length - 1 - i];
            if (i % 2 == 0)
            {
                d *= 2;
                if (d > 9)
                {
                    d -= 9;
                }
            }

            sum += d;
        }

        return (10 - (sum % 10)) % 10;
    }

    // ISO 13616 check digits: 98 - (BBAN + country as digits + "00") mod 97, letters read as 10-35.
    internal static string IbanCheckDigits(string country, string bban)
    {
        var numeric = new StringBuilder();
        foreach (var c in bban + country + "00")
        {
            numeric.Append(char.IsAsciiDigit(c) ? (c - '0').ToString(CultureInfo.InvariantCulture) : (c - 'A' + 10).ToString(CultureInfo.InvariantCulture));
        }

        var check = 98 - (int)(BigInteger.Parse(numeric.ToString(), CultureInfo.InvariantCulture) % 97);
        return check.ToString("00", CultureInfo.InvariantCulture);
    }

    private static string Before(Random random) => Prose(random) + Joints[random.Next(Joints.Length)];

    private static string After(Random random) => Joints[random.Next(Joints.Length)] + Prose(random);

    private static string Prose(Random random) =>
        string.Join(' ', Enumerable.Range(0, random.Next(5)).Select(_ => Words[random.Next(Words.Length)]));

    private static string Generate(string kind, Random random) => kind switch
    {
        "email" => $"{Chars(random, "abcdefghijklmnopqrstuvwxyz0123456789", 1, 8)}{Pick(random, "", ".", "_", "+", "-")}{Chars(random, "abcdefghijklmnopqrstuvwxyz0123456789", 1, 8)}@{string.Join('.', Enumerable.Range(0, 1 + random.Next(3)).Select(_ => Chars(random, "abcdefghijklmnopqrstuvwxyz0123456789", 1, 10)))}.{Chars(random, "abcdefghijklmnopqrstuvwxyz", 2, 6)}",
        "secret" => Secret(random, withDigit: true),
        "iban" => Iban(random, valid: true),
        "card" => Card(random, valid: true, grouped: random.Next(2) == 0),
        "ssn" => $"{Pick(random, Enumerable.Range(1, 899).Where(a => a != 666).Select(a => a.ToString("000", CultureInfo.InvariantCulture)).ToArray())}-{random.Next(1, 100):00}-{random.Next(1, 10000):0000}",
        "ip" => string.Join('.', Enumerable.Range(0, 4).Select(_ => random.Next(256).ToString(CultureInfo.InvariantCulture))),
        "phone" => Phone(random),
        _ => $"EMP-{random.Next(1_000_000):000000}",
    };

    private static string NearMiss(string kind, Random random) => kind switch
    {
        "email" => $"{Chars(random, "abcdefghijklmnopqrstuvwxyz", 1, 8)}@{Chars(random, "abcdefghijklmnopqrstuvwxyz", 1, 10)}",
        "secret" => Secret(random, withDigit: false),
        "iban" => Iban(random, valid: false),
        "card" => Card(random, valid: false, grouped: false),
        "ssn" => $"{Pick(random, "000", "666", "900", "987")}-{random.Next(1, 100):00}-{random.Next(1, 10000):0000}",
        "ip" => $"{random.Next(256, 1000)}.{random.Next(256)}.{random.Next(256)}.{random.Next(256)}",
        "phone" => Pick(random, $"555-{random.Next(100, 1000)}", $"20{random.Next(10, 30)}-0{random.Next(1, 10)}-{random.Next(10, 29)}", $"{random.Next(1, 1000)} {random.Next(1000):000} {random.Next(1000):000}"),
        _ => $"EMP-{random.Next(100_000):00000}",
    };

    private static string Secret(Random random, bool withDigit)
    {
        var letters = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
        var body = Chars(random, withDigit ? letters + "0123456789" : letters, 16, 40);
        if (withDigit)
        {
            var at = random.Next(body.Length);
            body = body[..at] + (char)('0' + random.Next(10)) + body[(at + 1)..];
        }

        return random.Next(4) switch
        {
            0 => Pick(random, "sk-", "sk-proj-", "pk_", "rk_", "sk_live_") + body,
            1 => Pick(random, "ghp_", "gho_", "ghs_", "github_pat_") + body + Chars(random, "abc", 6, 6),
            2 => Pick(random, "xoxb-", "xoxp-") + body,
            _ => "AKIA" + (withDigit ? body.ToUpperInvariant()[..15] + random.Next(10) : Chars(random, "ABCDEFGHIJKLMNOPQRSTUVWXYZ", 16, 16)),
        };
    }

    private static string Iban(Random random, bool valid)
    {
        var (country, length) = IbanCountries[random.Next(IbanCountries.Length)];
        var bban = Chars(random, random.Next(2) == 0 ? "0123456789" : "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ", length - 4, length - 4);
        var check = IbanCheckDigits(country, bban);
        if (!valid)
        {
            // Any other two digits, except the one that leaves the same remainder mod 97 (01 for 98, 00 for 97).
            var right = int.Parse(check, CultureInfo.InvariantCulture) % 97;
            int wrong;
            do
            {
                wrong = random.Next(100);
            }
            while (wrong % 97 == right);
            check = wrong.ToString("00", CultureInfo.InvariantCulture);
        }

        var compact = country + check + bban;
        return random.Next(2) == 0 ? compact : string.Join(' ', compact.Chunk(4).Select(c => new string(c)));
    }

    private static string Card(Random random, bool valid, bool grouped)
    {
        var length = random.Next(13, 20);
        var digits = new int[length];
        digits[0] = 1 + random.Next(9);
        for (var j = 1; j < length - 1; j++)
        {
            digits[j] = random.Next(10);
        }

        digits[^1] = (LuhnCheckDigit(digits.AsSpan(0, length - 1)) + (valid ? 0 : 1 + random.Next(9))) % 10;
        var number = string.Concat(digits);
        return grouped ? string.Join(random.Next(2) == 0 ? ' ' : '-', number.Chunk(4).Select(c => new string(c))) : number;
    }

    private static string Phone(Random random)
    {
        string D(int n) => (1 + random.Next(9)).ToString(CultureInfo.InvariantCulture) + Chars(random, "0123456789", n - 1, n - 1);
        var sep = Pick(random, " ", "-", ".");
        return random.Next(7) switch
        {
            0 => International(random, sep),
            1 => $"+{random.Next(1, 99)} ({random.Next(10)}){D(2)} {D(4)} {D(4)}",
            2 => $"({D(3)}) {D(3)}-{D(4)}",
            3 => $"{D(3)}{sep}{D(3)}{sep}{D(4)}",
            4 => $"{D(3)}-{D(4)}",
            5 => string.Join(Pick(random, " ", "."), Enumerable.Range(0, 5).Select(_ => D(2))),
            _ => "0" + D(9 + random.Next(2)),
        };
    }

    // "+", a country code of 1-3 digits, then groups of 2-4 digits: 7 to 15 digits in all (E.164).
    private static string International(Random random, string sep)
    {
        var code = random.Next(1, 999).ToString(CultureInfo.InvariantCulture);
        var groups = new List<string>();
        var digits = code.Length;
        var target = random.Next(Math.Max(7, digits + 2), 16);
        while (digits < target)
        {
            var size = Math.Min(2 + random.Next(3), target - digits);
            if (size < 2)
            {
                groups[^1] += random.Next(10).ToString(CultureInfo.InvariantCulture);
                digits++;
                continue;
            }

            groups.Add(Chars(random, "0123456789", size, size));
            digits += size;
        }

        return $"+{code} {string.Join(sep, groups)}";
    }

    private static string Chars(Random random, string alphabet, int min, int max) =>
        new([.. Enumerable.Range(0, random.Next(min, max + 1)).Select(_ => alphabet[random.Next(alphabet.Length)])]);

    private static string Pick(Random random, params string[] options) => options[random.Next(options.Length)];
}
