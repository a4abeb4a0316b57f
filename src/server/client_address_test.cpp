// Address ranges, the client named by X-Forwarded-For (only through a trusted proxy) and the key
// the per-address cap counts under; the per-address slot table.
#include "server/client_address.h"

#include <gtest/gtest.h>

#include "server/address_slots.h"

namespace clipsearch::server {
namespace {

std::vector<AddressRange> ranges(const std::vector<std::string>& texts) {
  auto r = parse_address_ranges(texts);
  EXPECT_TRUE(r.ok()) << r.status().message();
  return r.ok() ? *r : std::vector<AddressRange>{};
}

TEST(AddressRange, ParsesAddressesAndPrefixes) {
  auto one = AddressRange::parse("192.0.2.1");
  ASSERT_TRUE(one.ok());
  EXPECT_TRUE(one->contains("192.0.2.1"));
  EXPECT_FALSE(one->contains("192.0.2.2"));
  EXPECT_TRUE(one->contains("::ffff:192.0.2.1")) << "an IPv4-mapped peer is the IPv4 address";

  auto net = AddressRange::parse("10.0.0.0/8");
  ASSERT_TRUE(net.ok());
  EXPECT_TRUE(net->contains("10.200.3.4"));
  EXPECT_FALSE(net->contains("11.0.0.1"));
  EXPECT_FALSE(net->contains("::1"));

  auto v6 = AddressRange::parse("fd00::/8");
  ASSERT_TRUE(v6.ok());
  EXPECT_TRUE(v6->contains("fd12:3456::1"));
  EXPECT_FALSE(v6->contains("fe80::1"));
  EXPECT_FALSE(v6->contains("10.0.0.1"));

  auto odd = AddressRange::parse("172.16.0.0/12");
  ASSERT_TRUE(odd.ok());
  EXPECT_TRUE(odd->contains("172.31.255.255"));
  EXPECT_FALSE(odd->contains("172.32.0.0"));
}

TEST(AddressRange, RefusesWhatIsNotARangeNamingIt) {
  for (const char* bad :
       {"proxy.example", "10.0.0.0/33", "10.0.0.0/", "10.0.0.0/x", "::1/129", "", "10.0.0.1/-1"}) {
    auto r = AddressRange::parse(bad);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_NE(r.status().message().find(std::string("'") + bad + "'"), std::string::npos)
        << r.status().message();
  }
  auto list = parse_address_ranges({"10.0.0.1", "nope", "also-bad"});
  ASSERT_FALSE(list.ok());
  EXPECT_NE(list.status().message().find("'nope'"), std::string::npos);
}

TEST(ForwardedClient, HeaderIgnoredUnlessThePeerIsATrustedProxy) {
  const auto proxies = ranges({"10.0.0.5"});
  const std::string xff = "203.0.113.7";
  EXPECT_EQ(forwarded_client("198.51.100.1", &xff, proxies), "198.51.100.1");
  EXPECT_EQ(forwarded_client("10.0.0.5", &xff, proxies), "203.0.113.7");
  EXPECT_EQ(forwarded_client("10.0.0.5", nullptr, proxies), "10.0.0.5");
  EXPECT_EQ(forwarded_client("10.0.0.5", &xff, {}), "10.0.0.5");
}

// Each X-Forwarded-For value, sent by the trusted peer 10.0.0.5, and the client it names.
void expect_clients(const std::vector<std::pair<std::string, std::string>>& cases) {
  const auto proxies = ranges({"10.0.0.0/8"});
  for (const auto& [xff, client] : cases) {
    EXPECT_EQ(forwarded_client("10.0.0.5", &xff, proxies), client) << "X-Forwarded-For: " << xff;
  }
}

TEST(ForwardedClient, RightMostUntrustedEntryWins) {
  expect_clients({
      {"1.2.3.4, 203.0.113.7", "203.0.113.7"},            // the client wrote the first entry itself
      {"1.2.3.4, 203.0.113.7, 10.1.1.1", "203.0.113.7"},  // a chain: the inner proxy skipped
      {" 2001:db8::1 ", "2001:db8::1"},
  });
}

TEST(ForwardedClient, GarbageOrOnlyProxiesFallBackToTheLastTrustedHop) {
  expect_clients({
      {"not-an-address", "10.0.0.5"},
      {"", "10.0.0.5"},
      {"garbage, 10.1.1.1", "10.1.1.1"},
      {"10.2.2.2,10.1.1.1", "10.2.2.2"},
      {",,,", "10.0.0.5"},
  });
}

TEST(AddressCapKey, Ipv4AsIsIpv6ByItsSlash64) {
  EXPECT_EQ(address_cap_key("127.0.0.2"), "127.0.0.2");
  EXPECT_EQ(address_cap_key("::ffff:127.0.0.2"), "127.0.0.2");
  EXPECT_EQ(address_cap_key("2001:db8:1:2:aaaa:bbbb:cccc:dddd"), "2001:db8:1:2::/64");
  EXPECT_EQ(address_cap_key("2001:db8:1:2::1"), address_cap_key("2001:db8:1:2:ffff::9"));
  EXPECT_NE(address_cap_key("2001:db8:1:2::1"), address_cap_key("2001:db8:1:3::1"));
  EXPECT_EQ(address_cap_key(""), "");
}

TEST(AddressSlots, CapsEachAddressAndForgetsEmptyOnes) {
  AddressSlots slots(2);
  EXPECT_TRUE(slots.take("a"));
  EXPECT_TRUE(slots.take("a"));
  EXPECT_FALSE(slots.take("a"));
  EXPECT_EQ(slots.held("a"), 2u);
  EXPECT_TRUE(slots.take("b"));
  slots.give_back("a");
  EXPECT_TRUE(slots.take("a"));
  slots.give_back("a");
  slots.give_back("a");
  EXPECT_EQ(slots.held("a"), 0u);
  slots.give_back("never-held");  // no effect, no underflow
  EXPECT_EQ(slots.held("never-held"), 0u);
}

}  // namespace
}  // namespace clipsearch::server
