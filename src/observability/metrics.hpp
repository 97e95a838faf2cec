// Metrics registry and Prometheus text exposition 0.0.4 (contract 9, decisions C.4): counters,
// gauges and histograms with label sets. Every thread records into its own shard of a family, so
// recording takes no shared lock; the shards are merged only when /metrics is scraped.
#pragma once

#include <atomic>
#include <cstddef>
#include <functional>
#include <initializer_list>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace portcullis::observability {

enum class MetricType { counter, gauge, histogram };

// How the per-thread values of a gauge combine at scrape: summed (connections over the I/O
// threads' pools) or the largest one (event-loop lag: the worst thread is what matters).
enum class GaugeMerge { sum, max };

// The Content-Type of the exposition (contract 9.3).
inline constexpr std::string_view kExpositionContentType =
    "text/plain; version=0.0.4; charset=utf-8";

// The label values of one series, one per label name of its family, in the same order.
using LabelValues = std::span<const std::string_view>;

// Handles to one series in the calling thread's shard. Cheap to copy, valid as long as the
// registry lives, and only to be used on the thread that obtained them: each cell has a single
// writer, so an update is a plain load and store, never a locked read-modify-write.
class Counter {
public:
    Counter() = default;
    explicit Counter(std::atomic<double>* cell) : cell_(cell) {}
    void inc(double by = 1.0) const;  // `by` must not be negative

private:
    std::atomic<double>* cell_ = nullptr;
};

class Gauge {
public:
    Gauge() = default;
    explicit Gauge(std::atomic<double>* cell) : cell_(cell) {}
    void set(double value) const;
    void add(double by) const;

private:
    std::atomic<double>* cell_ = nullptr;
};

class Histogram {
public:
    Histogram() = default;
    Histogram(std::atomic<double>* cells, std::span<const double> bounds)
        : cells_(cells), bounds_(bounds) {}
    void observe(double value) const;

private:
    std::atomic<double>* cells_ = nullptr;  // one per bound, one for +Inf, then the sum
    std::span<const double> bounds_;
};

// One metric family: name, help, type, label names and its per-thread shards. Families are
// created by a Registry and live as long as it does.
class Family {
public:
    Family(std::string name, std::string help, MetricType type, std::vector<std::string> labels,
           std::vector<double> buckets, GaugeMerge merge);
    ~Family();
    Family(const Family&) = delete;
    Family& operator=(const Family&) = delete;

    const std::string& name() const { return name_; }
    MetricType type() const { return type_; }

    // Makes a series appear (at zero) before anything records it, so dashboards and alerts see
    // a value instead of nothing. Families without labels are declared at creation.
    void declare(LabelValues values);
    void declare(std::initializer_list<std::string_view> values) {
        declare(LabelValues(values.begin(), values.size()));
    }

    // Appends this family's exposition (HELP, TYPE, merged samples sorted by label values).
    void write(std::string& out) const;

protected:
    // The calling thread's cells of the series `values`, created on first use. Throws
    // std::invalid_argument when the number of values differs from the number of labels.
    std::atomic<double>* local_cells(LabelValues values);
    std::span<const double> buckets() const { return buckets_; }

private:
    struct Shard;
    Shard& local_shard();
    std::size_t cell_count() const;

    const std::size_t id_;  // process-unique, indexes the thread-local shard table
    std::string name_;
    std::string help_;
    MetricType type_;
    std::vector<std::string> labels_;
    std::vector<double> buckets_;
    GaugeMerge merge_;

    mutable std::mutex mutex_;  // guards shards_ and declared_; never taken when recording
    std::vector<std::unique_ptr<Shard>> shards_;
    std::vector<std::vector<std::string>> declared_;
};

class CounterFamily : public Family {
public:
    using Family::Family;
    Counter local(LabelValues values) { return Counter(local_cells(values)); }
    Counter local(std::initializer_list<std::string_view> values = {}) {
        return local(LabelValues(values.begin(), values.size()));
    }
};

class GaugeFamily : public Family {
public:
    using Family::Family;
    Gauge local(LabelValues values) { return Gauge(local_cells(values)); }
    Gauge local(std::initializer_list<std::string_view> values = {}) {
        return local(LabelValues(values.begin(), values.size()));
    }
};

class HistogramFamily : public Family {
public:
    using Family::Family;
    Histogram local(LabelValues values) { return {local_cells(values), buckets()}; }
    Histogram local(std::initializer_list<std::string_view> values = {}) {
        return local(LabelValues(values.begin(), values.size()));
    }
};

// Writes families computed at scrape time (process metrics, pool snapshots): call
// append_help_type() and append_sample() on `out`. Runs on the scraping thread.
using Collector = std::function<void(std::string& out)>;

// All metric families of the process, in registration order. Registering the same name twice,
// an invalid metric or label name, or `le` as a histogram label throws std::invalid_argument.
// Register at start-up; recording and scraping are safe from any thread afterwards.
class Registry {
public:
    Registry() = default;
    Registry(const Registry&) = delete;
    Registry& operator=(const Registry&) = delete;

    CounterFamily& counter(std::string name, std::string help,
                           std::vector<std::string> labels = {});
    GaugeFamily& gauge(std::string name, std::string help, std::vector<std::string> labels = {},
                       GaugeMerge merge = GaugeMerge::sum);
    // `buckets`: strictly increasing finite upper bounds; +Inf is implicit.
    HistogramFamily& histogram(std::string name, std::string help, std::vector<std::string> labels,
                               std::vector<double> buckets);

    // `names`: the families the collector writes (checked for clashes like any family).
    void add_collector(const std::vector<std::string>& names, Collector collector);
    // A gauge whose value is read at scrape time; `read` must be thread-safe.
    void gauge_callback(const std::string& name, std::string help, std::function<double()> read);

    // The whole exposition in text format 0.0.4.
    std::string scrape() const;

private:
    void claim(const std::string& name);
    // Registers a new family under the lock and hands back a reference to it.
    template <typename F>
    F& adopt(std::unique_ptr<F> family);

    mutable std::mutex mutex_;  // guards the lists below (registration against scrape)
    std::vector<std::string> names_;
    std::vector<std::unique_ptr<Family>> families_;
    // Exposition order: registration order; each entry is a family or a collector.
    struct Entry {
        Family* family = nullptr;
        Collector collector;
    };
    std::vector<Entry> entries_;
};

// Text format helpers, shared by the families and the collectors.
struct Label {
    std::string_view name;
    std::string_view value;
};

// `# HELP name help` (help with `\` and newline escaped) and `# TYPE name type`.
void append_help_type(std::string& out, std::string_view name, std::string_view help,
                      MetricType type);
// `name{a="x",b="y"} value` with label values escaped (`\`, `"`, newline); no braces without
// labels.
void append_sample(std::string& out, std::string_view name, std::span<const Label> labels,
                   double value);
// A sample value as Prometheus reads it: shortest round-trip decimal, `+Inf`, `-Inf`, `NaN`.
void append_value(std::string& out, double value);
// A label value with `\`, `"` and newline escaped.
void append_escaped_label_value(std::string& out, std::string_view value);

}  // namespace portcullis::observability
