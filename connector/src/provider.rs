//! The six providers by name. A bottom-layer enum, so that a stream's spec, the HTTP client's errors and the
//! config can name a provider without importing what it knows (that is in `providers/<key>/`).

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Provider {
    CoinGecko,
    BlockchainCom,
    MempoolSpace,
    CoinMarketCap,
    GitHub,
    Reddit,
}

impl Provider {
    /// How messages name it.
    pub fn name(self) -> &'static str {
        match self {
            Provider::CoinGecko => "CoinGecko",
            Provider::CoinMarketCap => "CoinMarketCap",
            Provider::BlockchainCom => "blockchain.com",
            Provider::MempoolSpace => "mempool.space",
            Provider::GitHub => "GitHub",
            Provider::Reddit => "Reddit",
        }
    }

    /// Its key under `rate_limits` and `base_urls` in the config (and its folder under `providers/`).
    pub fn key(self) -> &'static str {
        match self {
            Provider::CoinGecko => "coingecko",
            Provider::CoinMarketCap => "coinmarketcap",
            Provider::BlockchainCom => "blockchain_com",
            Provider::MempoolSpace => "mempool_space",
            Provider::GitHub => "github",
            Provider::Reddit => "reddit",
        }
    }
}
