module ivconform/kit

go 1.19
