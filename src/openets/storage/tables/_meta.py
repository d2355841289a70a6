"""The one MetaData every table is defined in."""

from sqlalchemy import MetaData

metadata = MetaData()
