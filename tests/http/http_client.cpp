#include "http_client.hpp"

#include <algorithm>
#include <cctype>
#include <sstream>

namespace dropgate::test {

namespace {

std::string lower(std::string text) {
    std::transform(text.begin(), text.end(), text.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return text;
}

std::string quoted(const std::string& text) {
    std::string out = "'";
    for (char c : text) {
        if (c == '\'')
            out += "'\\''";
        else
            out += c;
    }
    return out + "'";
}

}  // namespace

std::string HttpResult::header(const std::string& name) const {
    std::string wanted = lower(name) + ":";
    std::string value;
    std::istringstream lines(headers);
    for (std::string line; std::getline(lines, line);) {
        if (line.rfind("HTTP/", 0) == 0) value.clear();  // a later block (after 100 Continue)
        if (lower(line).rfind(wanted, 0) != 0) continue;
        value = line.substr(wanted.size());
        value.erase(0, value.find_first_not_of(' '));
        while (!value.empty() && (value.back() == '\r' || value.back() == ' ')) value.pop_back();
    }
    return value;
}

HttpResult curl(const Service& service, const std::string& path,
                const std::vector<std::string>& args, const std::string& user) {
    const auto headers = service.dir() / "curl.headers";
    const auto body = service.dir() / "curl.body";
    // The caller's own -o takes the body instead (curl pairs each -o with one URL).
    const bool own_output = std::find(args.begin(), args.end(), "-o") != args.end();
    std::string command = "curl -sS --cacert " + quoted(service.http_cert().string()) + " -D " +
                          quoted(headers.string()) +
                          (own_output ? "" : " -o " + quoted(body.string())) +
                          " -w '%{http_code} %{size_upload}'";
    if (!user.empty()) command += " -H " + quoted("Authorization: Bearer " + service.token(user));
    for (const auto& arg : args) command += " " + quoted(arg);
    command += " " + quoted(service.http_url() + path);
    std::filesystem::remove(headers);
    std::filesystem::remove(body);
    auto ran = sh(command);
    HttpResult result;
    std::istringstream out(ran.out);
    out >> result.status;
    std::getline(out, result.stats);
    std::error_code ec;
    if (std::filesystem::exists(headers, ec)) result.headers = read_file(headers);
    if (std::filesystem::exists(body, ec)) result.body = read_file(body);
    return result;
}

RawResult raw_tls(const Service& service, const std::string& request, double timeout_s) {
    const auto input = service.dir() / "raw.request";
    write_file(input, request);
    auto ran = run({"/usr/bin/python3", (tests_dir() / "http/raw_tls.py").string(),
                    std::to_string(service.http_port()), service.http_cert().string(),
                    input.string(), std::to_string(timeout_s)});
    RawResult result;
    auto newline = ran.out.find('\n');
    result.seconds = std::stod(ran.out.substr(0, newline));
    result.response = ran.out.substr(newline + 1);
    return result;
}

}  // namespace dropgate::test
