using Tandem.Privacy;
using Xunit;

namespace Tandem.Core.Tests.Privacy;

/// <summary>
/// The validators with published numbers. Card numbers: the test numbers the card issuers and payment processors
/// publish (Visa 4111 1111 1111 1111, Mastercard 5500 0000 0000 0004, American Express 3782 822463 10005, Discover
/// 6011 1111 1111 1117) and the Luhn example on Wikipedia's "Luhn algorithm" page (7992739871 with check digit 3).
/// IBANs: the country examples of the ISO 13616 IBAN registry published by SWIFT, as listed on Wikipedia's
/// "International Bank Account Number" page; each test also recomputes their check digits with BigInteger.
/// Social security numbers: the ranges the SSA never assigns (https://www.ssa.gov/employer/randomization.html).
/// </summary>
public sealed class PersonalDataChecksTests
{
    [Theory]
    [InlineData("4111111111111111")]
    [InlineData("4111 1111 1111 1111")]
    [InlineData("4111-1111-1111-1111")]
    [InlineData("5500000000000004")]
    [InlineData("378282246310005")]
    [InlineData("6011111111111117")]
    [InlineData("79927398713")]
    public void IsLuhnValid_PublishedNumbers_Pass(string number) => Assert.True(PersonalDataChecks.IsLuhnValid(number));

    [Theory]
    [InlineData("4111111111111112")]
    [InlineData("79927398710")]
    [InlineData("1234567890123")]
    [InlineData("4111.1111.1111.1111")]
    [InlineData("")]
    [InlineData("0")]
    public void IsLuhnValid_OtherNumbers_Fail(string number) => Assert.False(PersonalDataChecks.IsLuhnValid(number));

    [Theory]
    [InlineData("GB82 WEST 1234 5698 7654 32")]
    [InlineData("DE89 3704 0044 0532 0130 00")]
    [InlineData("NL91 ABNA 0417 1643 00")]
    [InlineData("NO93 8601 1117 947")]
    [InlineData("FR14 2004 1010 0505 0001 3M02 606")]
    [InlineData("BE68 5390 0754 7034")]
    [InlineData("AT61 1904 3002 3457 3201")]
    [InlineData("CH93 0076 2011 6238 5295 7")]
    [InlineData("MT84 MALT 0110 0001 2345 MTLC AST0 01S")]
    public void IsIbanValid_RegistryExamples_Pass(string iban)
    {
        Assert.True(PersonalDataChecks.IsIbanValid(iban));
        var compact = iban.Replace(" ", "", StringComparison.Ordinal);
        Assert.Equal(compact[2..4], PersonalDataPropertyTests.IbanCheckDigits(compact[..2], compact[4..]));
        Assert.True(PersonalDataChecks.IsIbanValid(compact));
    }

    [Theory]
    [InlineData("GB82 WEST 1234 5698 7654 33")] // check digits wrong
    [InlineData("GB82 WEST 1234 5698 7654 3")] // one character short for GB (22)
    [InlineData("DE89 3704 0044 0532 0130 000")] // one character long for DE (22)
    [InlineData("gb82 west 1234 5698 7654 32")] // the electronic form is upper case
    [InlineData("XX82 WEST 1234 5698 7654 32")] // no such country in the registry
    [InlineData("GB82-WEST-1234-5698-7654-32")]
    [InlineData("GB")]
    [InlineData("")]
    public void IsIbanValid_OtherText_Fails(string iban) => Assert.False(PersonalDataChecks.IsIbanValid(iban));

    [Theory]
    [InlineData("DE", 22)]
    [InlineData("GB", 22)]
    [InlineData("NO", 15)]
    [InlineData("LC", 32)]
    [InlineData("RU", 33)]
    [InlineData("YE", 30)]
    [InlineData("XX", 0)]
    [InlineData("de", 0)]
    public void IbanLength_FollowsTheRegistry(string country, int length) =>
        Assert.Equal(length, PersonalDataChecks.IbanLength(country[0], country[1]));

    [Theory]
    [InlineData("123-45-6789", true)]
    [InlineData("078-05-1120", true)]
    [InlineData("899-99-9999", true)]
    [InlineData("001-01-0001", true)]
    [InlineData("000-12-3456", false)]
    [InlineData("666-12-3456", false)]
    [InlineData("900-12-3456", false)]
    [InlineData("123-00-4567", false)]
    [InlineData("123-45-0000", false)]
    [InlineData("123456789", false)]
    [InlineData("12-345-6789", false)]
    public void IsSsnValid_FollowsTheIssuedRanges(string ssn, bool valid) => Assert.Equal(valid, PersonalDataChecks.IsSsnValid(ssn));
}
