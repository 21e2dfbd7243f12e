// IP addresses and networks as the connection guard compares them: a client's address without
// its port, and the allow-list's networks ("10.0.0.0/8", "2001:db8::/32", "192.0.2.7").
// IPv4-mapped IPv6 addresses (::ffff:192.0.2.7) are the IPv4 address they map.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace dropgate {

class IpAddress {
  public:
    // "192.0.2.7", "2001:db8::1", "[2001:db8::1]"; nullopt if it is neither.
    static std::optional<IpAddress> parse(std::string_view text);
    // The address part of a remote as the doors write it: "192.0.2.7:50122", "[::1]:50122".
    static std::optional<IpAddress> of_remote(std::string_view remote);

    bool is_v4() const { return v4_; }
    std::string to_string() const;  // canonical: "192.0.2.7", "2001:db8::1"
    const std::array<std::uint8_t, 16>& bytes() const { return bytes_; }  // v4 in bytes 12..15
    auto operator<=>(const IpAddress&) const = default;

  private:
    std::array<std::uint8_t, 16> bytes_{};
    bool v4_ = false;
};

class Network {
  public:
    // "10.0.0.0/8", "2001:db8::/32", or one address. Throws std::invalid_argument with a reason.
    static Network parse(std::string_view text);
    bool contains(const IpAddress& address) const;
    std::string to_string() const;

  private:
    IpAddress base_;
    int prefix_ = 0;  // bits, within the family's width
};

}  // namespace dropgate
