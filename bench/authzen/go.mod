module github.com/rolecall/rolecall/bench/authzen

go 1.26.8
