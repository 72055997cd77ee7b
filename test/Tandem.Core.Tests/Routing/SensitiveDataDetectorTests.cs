using Tandem.Routing;
using Xunit;

namespace Tandem.Core.Tests.Routing;

public sealed class SensitiveDataDetectorTests
{
    private static readonly SensitiveDataDetector Detector = new(new Dictionary<string, string> { ["employee_id"] = @"\bEMP-\d{6}\b" });

    [Theory]
    [InlineData("write to jane.doe+work@example.co.uk please", "email")]
    [InlineData("call me on +44 20 7946 0958", "phone")]
    [InlineData("my number is (415) 555-0132", "phone")]
    [InlineData("card 4111 1111 1111 1111 exp 12/29", "card")]
    [InlineData("card 5500-0000-0000-0004", "card")]
    [InlineData("IBAN GB82 WEST 1234 5698 7654 32", "iban")]
    [InlineData("iban DE89370400440532013000", "iban")]
    [InlineData("ticket for EMP-123456", "employee_id")]
    public void Contains_FindsEachClass(string text, string kind)
    {
        Assert.True(Detector.Contains(text, kind));
        Assert.True(Detector.ContainsAny(text, ["any"]));
    }

    [Theory]
    [InlineData("card 4111 1111 1111 1112", "card")]
    [InlineData("order 1234567890123", "card")]
    [InlineData("IBAN GB82 WEST 1234 5698 7654 33", "iban")]
    [InlineData("meet at 10:30 on 2024-05-01", "phone")]
    [InlineData("version 1.2.3 of the app", "phone")]
    [InlineData("email me at jane at example dot com", "email")]
    public void Contains_IgnoresLookAlikes(string text, string kind)
    {
        Assert.False(Detector.Contains(text, kind));
    }

    [Fact]
    public void GeneratedCards_AreDetectedWhenLuhnValidOnly()
    {
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
            Assert.True(Detector.Contains($"pay with {valid[..4]} {valid[4..8]} {valid[8..12]} {valid[12..]}", "card"), valid);
            Assert.False(Detector.Contains($"ref {invalid}", "card"), invalid);
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
}
