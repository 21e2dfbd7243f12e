#include "dropgate/base/address.hpp"

#include <arpa/inet.h>

#include <charconv>
#include <cstring>
#include <stdexcept>

namespace dropgate {

namespace {

constexpr std::array<std::uint8_t, 12> kV4MappedPrefix{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

}  // namespace

std::optional<IpAddress> IpAddress::parse(std::string_view text) {
    if (text.size() >= 2 && text.front() == '[' && text.back() == ']')
        text = text.substr(1, text.size() - 2);
    if (text.empty() || text.size() >= INET6_ADDRSTRLEN) return std::nullopt;
    char buffer[INET6_ADDRSTRLEN] = {};
    std::memcpy(buffer, text.data(), text.size());
    IpAddress address;
    if (::inet_pton(AF_INET, buffer, address.bytes_.data() + 12) == 1) {
        std::memcpy(address.bytes_.data(), kV4MappedPrefix.data(), kV4MappedPrefix.size());
        address.v4_ = true;
        return address;
    }
    if (::inet_pton(AF_INET6, buffer, address.bytes_.data()) != 1) return std::nullopt;
    address.v4_ = std::memcmp(address.bytes_.data(), kV4MappedPrefix.data(), 12) == 0;
    return address;
}

std::optional<IpAddress> IpAddress::of_remote(std::string_view remote) {
    if (!remote.empty() && remote.front() == '[') {
        auto close = remote.find(']');
        if (close == std::string_view::npos) return std::nullopt;
        return parse(remote.substr(1, close - 1));
    }
    auto colon = remote.rfind(':');
    if (colon != std::string_view::npos && remote.find(':') == colon)
        remote = remote.substr(0, colon);
    return parse(remote);
}

std::string IpAddress::to_string() const {
    char text[INET6_ADDRSTRLEN] = {};
    if (v4_)
        ::inet_ntop(AF_INET, bytes_.data() + 12, text, sizeof text);
    else
        ::inet_ntop(AF_INET6, bytes_.data(), text, sizeof text);
    return text;
}

Network Network::parse(std::string_view text) {
    auto slash = text.find('/');
    auto address = IpAddress::parse(text.substr(0, slash));
    if (!address)
        throw std::invalid_argument("not an IP address or network: \"" + std::string(text) + "\"");
    const int width = address->is_v4() ? 32 : 128;
    int prefix = width;
    if (slash != std::string_view::npos) {
        std::string_view bits = text.substr(slash + 1);
        auto [end, error] = std::from_chars(bits.data(), bits.data() + bits.size(), prefix);
        if (error != std::errc() || end != bits.data() + bits.size() || bits.empty() ||
            prefix < 0 || prefix > width)
            throw std::invalid_argument("bad prefix length in \"" + std::string(text) +
                                        "\" (expected /0 to /" + std::to_string(width) + ")");
    }
    Network network;
    network.base_ = *address;
    network.prefix_ = prefix + (address->is_v4() ? 96 : 0);  // compared over all 128 bits
    return network;
}

bool Network::contains(const IpAddress& address) const {
    if (address.is_v4() != base_.is_v4()) return false;
    const auto& a = address.bytes();
    const auto& b = base_.bytes();
    int bits = prefix_;
    for (std::size_t i = 0; bits > 0; ++i, bits -= 8) {
        std::uint8_t mask = bits >= 8 ? 0xff : std::uint8_t(0xff << (8 - bits));
        if ((a[i] & mask) != (b[i] & mask)) return false;
    }
    return true;
}

std::string Network::to_string() const {
    return base_.to_string() + "/" + std::to_string(prefix_ - (base_.is_v4() ? 96 : 0));
}

}  // namespace dropgate
